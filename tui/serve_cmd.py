"""The ``serve`` subcommand's arguments (standard library only, so ``liqwatch --help`` stays fast); the server
itself is ``tui.serve``, imported when the command runs."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "serve",
        help="serve the terminal app to a browser tab (textual-serve); each tab runs its own app",
        description="Serve the terminal app over HTTP: each browser tab that opens the printed URL runs its own "
                    "app. Bound to 127.0.0.1 unless --host says otherwise; on another address the URL carries "
                    "a random token, printed once at start, and requests without it are refused.",
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1; any other requires the token in the URL)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0 picks a free one)")
    p.add_argument("--demo", action="store_true",
                   help="serve the demo: each tab runs its own emulator, no account or network needed")
    p.add_argument("--config", metavar="PATH", help="configuration file (default: the XDG config path)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from liqwatch import stop_signal
    from liqwatch.commands.errors import UserError
    from liqwatch.config import ConfigError, load_settings

    if not 0 <= args.port <= 65535:
        raise UserError(f"--port {args.port}: a port is 0 to 65535")
    if args.config or not args.demo:
        # Checked once here, not in each tab's app: a broken file is a message at start. (The demo without
        # --config, as `liqwatch demo`, makes do without a broken default file.)
        try:
            settings = load_settings(Path(args.config) if args.config else None)
        except ConfigError as exc:
            raise UserError(str(exc)) from None
        if not args.demo and not settings.accounts:
            raise UserError("no accounts configured: add [[accounts]] to the configuration "
                            "(see config.example.toml), or serve the demo with --demo")
    from tui.serve import LiqwatchServer, session_command

    server = LiqwatchServer(session_command(demo=args.demo, config=args.config), host=args.host, port=args.port,
                            title="liqwatch demo" if args.demo else "liqwatch")

    async def serve() -> None:
        stop = asyncio.Event()
        try:
            await server.run(stop)
        except OSError as exc:  # the port taken, an address not on this machine
            raise UserError(f"cannot listen on {args.host}:{args.port}: {exc.strerror or exc}") from None

    try:
        stop_signal.run(serve())
    except stop_signal.Terminated:
        raise  # SIGTERM, after the clean stop: exit 143 (tui.cli), as `check` does, so a supervisor sees why
    except KeyboardInterrupt:
        pass  # Ctrl-C: the way a user stops it, exit 0
    return 0
