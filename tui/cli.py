"""The ``liqwatch`` command: headless subcommands go to the engine; Textual is imported only for the App."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from liqwatch import __version__
from liqwatch.commands import COMMAND_MODULES
from liqwatch.commands.errors import UserError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liqwatch",
        description="Monitor leveraged perpetual-swap positions: margin, liquidation prices, funding.",
    )
    parser.add_argument("--version", action="version", version=f"liqwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    try:
        return int(handler(args))
    except UserError as exc:
        print(f"liqwatch {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
