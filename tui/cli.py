"""The ``liqwatch`` command: headless subcommands go to the engine; Textual is imported only for the App.

``liqwatch demo`` on a terminal launches the App (``--plain`` or ``--json``, or output that is not a
terminal, keep the text mode); a bare ``liqwatch`` launches the App on the configured accounts.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from pathlib import Path

from liqwatch import __version__
from liqwatch.commands import COMMAND_MODULES
from liqwatch.commands.errors import EXIT_USAGE, UserError
from liqwatch.feeds.frame_recorder import RecordFileError
from liqwatch.redact import install_redaction
from liqwatch.stop_signal import EXIT_TERMINATED, Terminated


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liqwatch",
        description="Monitor leveraged perpetual-swap positions: margin, liquidation prices, funding. "
        "Without a command, opens the terminal app on the configured accounts.",
    )
    parser.add_argument("--version", action="version", version=f"liqwatch {__version__}")
    parser.add_argument("--config", dest="app_config", metavar="PATH",
                        help="configuration file for the app and every command that reads one "
                             "(default: the XDG config path)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    from tui import serve_cmd  # the App in a browser: a UI command, so it lives in tui/

    serve_cmd.register(sub)
    return parser


def on_terminal() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def wants_app(args: argparse.Namespace) -> bool:
    """``liqwatch demo`` opens the App on a terminal unless text output was asked for."""
    return not getattr(args, "plain", False) and not getattr(args, "json", False) and on_terminal()


def pass_config_down(args: argparse.Namespace) -> None:
    """``liqwatch --config PATH COMMAND``: the top-level file reaches the command's own ``--config``, so it is
    never silently ignored; a command that reads no configuration, or a second different file, is an error."""
    if args.app_config is None or args.command is None:
        return
    if not hasattr(args, "config"):
        if args.command == "config":
            return  # no action given: its own message says what is missing
        raise UserError(f"--config: 'liqwatch {args.command}' reads no configuration file")
    own = args.config
    if own is None:
        # The command's own type (config check takes a Path, the others a str).
        args.config = Path(args.app_config) if args.command == "config" else args.app_config
    elif Path(own) != Path(args.app_config):
        raise UserError("give the config file once: --config before or after the command, not two different files")


def main(argv: Sequence[str] | None = None) -> int:
    install_redaction()  # before anything can log: keys, signatures and listen keys never reach a log
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        pass_config_down(args)
        if args.command == "demo" and wants_app(args):
            from tui.launch import run_demo_app

            return run_demo_app(args)
        if handler is None:
            from tui.launch import run_bare

            # Config errors are told the same way on a terminal or a pipe (never the usage, exit 0).
            return run_bare(Path(args.app_config) if args.app_config else None, terminal=on_terminal())
        return int(handler(args))
    except UserError as exc:
        print(f"liqwatch{' ' + args.command if args.command else ''}: {exc}", file=sys.stderr)
        return exc.exit_code
    except RecordFileError as exc:  # raised once the monitor opens the file, after the command has started
        print(f"liqwatch {args.command}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except Terminated:  # SIGTERM (systemctl stop, docker stop), after a clean stop
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `liqwatch history | head`: the reader has gone, nothing is wrong
        from liqwatch.commands.demo_cmd import stdout_gone

        stdout_gone()
        return 0


if __name__ == "__main__":
    sys.exit(main())
