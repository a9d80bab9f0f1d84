"""One browser tab's App: what ``liqwatch serve`` runs for each websocket (textual-serve sets the WebDriver).

Not a command of its own: its standard streams are textual-serve's pipes, never a terminal, so the checks
``tui.cli`` makes before opening the App do not apply. Each run is a process of its own: a ``--demo`` tab starts
its own emulator and monitor, as ``liqwatch demo`` in a terminal does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from liqwatch.commands.errors import EXIT_USAGE, UserError
from liqwatch.redact import install_redaction


def main(argv: Sequence[str] | None = None) -> int:
    install_redaction()  # before anything can log: the child's stderr reaches the server's output
    parser = argparse.ArgumentParser(prog="liqwatch serve (session)")
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--config", metavar="PATH")
    args = parser.parse_args(argv)
    from liqwatch.config import ConfigError, load_settings
    from tui.launch import run_config_app, run_demo_app

    try:
        if args.demo:
            return run_demo_app(argparse.Namespace(seconds=None, speed=1.0, record=None, config=args.config))
        # The server checked the file at start; it is read again here, as it is now, for this tab's App.
        return run_config_app(load_settings(Path(args.config) if args.config else None))
    except ConfigError as exc:
        print(f"liqwatch serve: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UserError as exc:
        print(f"liqwatch serve: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
