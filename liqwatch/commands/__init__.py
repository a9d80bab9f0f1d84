"""Headless subcommands of the ``liqwatch`` command line (no Textual here).

Each module exposes ``register(subparsers)``, which adds its parser and sets ``run`` as the handler.
Modules import only the standard library at top level, so that ``liqwatch --help`` and the headless
commands start fast; the heavy imports happen inside ``run``.
"""

COMMAND_MODULES = (
    "liqwatch.commands.calc",
    "liqwatch.commands.config_cmd",
    "liqwatch.commands.emulator",
    "liqwatch.commands.check",
    "liqwatch.commands.demo_cmd",
    "liqwatch.commands.alerts_cmd",
    "liqwatch.commands.history_cmd",
)
