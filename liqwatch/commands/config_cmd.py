"""``liqwatch config check [PATH]``: validate the configuration and print it with every secret redacted."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from liqwatch.commands.errors import UserError

_DESCRIPTION = """\
Validate the configuration file (default: config.toml in the user config directory, e.g.
~/.config/liqwatch/config.toml) together with the LIQWATCH_* environment overrides, then print the
effective configuration with every secret redacted and, for each account, whether its credentials
resolve. Exit status: 0 valid, 2 invalid or unreadable."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "config", help="check the configuration file", description="Work with the configuration file."
    )
    parser.set_defaults(handler=run)
    actions = parser.add_subparsers(dest="config_action", metavar="ACTION")
    check = actions.add_parser("check", help="validate and show the effective configuration", description=_DESCRIPTION)
    check.add_argument("path", nargs="?", type=Path, metavar="PATH", help="config file to check")
    check.add_argument("--config", type=Path, metavar="PATH", help="same as PATH")
    check.add_argument("--json", action="store_true", help="print JSON instead of TOML-like text")


def run(args: argparse.Namespace) -> int:
    if args.config_action != "check":
        raise UserError("missing action: liqwatch config check [PATH]")
    path: Path | None = args.path
    if args.config is not None:
        if path is not None and path != args.config:
            raise UserError("give the config file once: PATH or --config, not two different files")
        path = args.config

    from liqwatch.commands.config_output import check_report, render_text
    from liqwatch.config.errors import ConfigError
    from liqwatch.config.loader import load_config

    try:
        loaded = load_config(path)
    except ConfigError as exc:
        if args.json:
            problems = list(exc.problems) or [str(exc)]
            where = str(exc.path) if exc.path is not None else None
            print(json.dumps({"valid": False, "config_file": where, "errors": problems}, indent=2))
        raise UserError(str(exc)) from None
    report = check_report(loaded)
    print(json.dumps(report, indent=2) if args.json else render_text(report), end="\n" if args.json else "")
    return 0
