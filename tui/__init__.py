"""The Textual application and the ``liqwatch`` command line (top of the stack: tui -> widgets -> liqwatch)."""
