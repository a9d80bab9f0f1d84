"""liqwatch engine: model, risk math, feeds, emulator, alerts, storage and config.

This package never imports Textual, Rich, ``widgets`` or ``tui`` (checked by tests/test_layering.py).
"""

__version__ = "0.1.0"
