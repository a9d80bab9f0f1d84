"""``liqwatch demo``: the embedded emulator with the built-in scenario, watched through the real adapters.

On a terminal the command line (``tui.cli``) opens the terminal app instead of calling ``run``; ``run`` is the
text mode: ``--plain``, ``--json``, or output that is not a terminal. It prints a refreshing table (redrawn in
place on a terminal, appended otherwise), and its alerts are evaluated as in the App, kept in this run's own
demo record (``liqwatch alerts --demo`` reads the newest; liqwatch.storage.demo_records). Its frame record
(``--record``) is whatever file you name; nothing is written to your real data.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from typing import Any


def stdout_gone() -> None:
    """Point stdout at /dev/null once its reader has closed the pipe: what is still buffered (and the
    interpreter's flush at exit) then goes nowhere instead of raising BrokenPipeError again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "demo",
        help="run liqwatch against its built-in exchange emulator (no account or network needed)",
        description="Start the emulator on a free 127.0.0.1 port with the demo scenario and monitor it live.",
    )
    p.add_argument("--seconds", type=float, metavar="N", help="stop after N seconds (default: until Ctrl-C)")
    p.add_argument("--speed", type=float, default=1.0, help="market speed, simulated seconds per second (default 1)")
    p.add_argument("--record", metavar="FILE", help="append every raw frame (gzip JSON lines) to FILE")
    p.add_argument("--config", metavar="PATH",
                   help="configuration file whose [alerts] thresholds the demo's accounts are judged by, as "
                        "check --demo does (default: the XDG config path, if any)")
    p.add_argument("--json", action="store_true", help="print one JSON snapshot per second instead of a table")
    p.add_argument("--plain", action="store_true",
                   help="print a refreshing text table instead of opening the terminal app "
                        "(the default when output is not a terminal)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    from liqwatch.commands.errors import UserError

    if args.seconds is not None and not args.seconds > 0:
        raise UserError("--seconds must be > 0")
    if not args.speed > 0:
        raise UserError("--speed must be > 0")
    from liqwatch import stop_signal

    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C, or SIGTERM (stop_signal.Terminated): a clean stop
        stop_signal.run(_run(args))
    return 0


async def _run(args: argparse.Namespace) -> None:
    import asyncio
    import json
    from pathlib import Path

    from liqwatch.alert_runtime import AlertRuntime
    from liqwatch.commands.monitor_setup import user_settings
    from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
    from liqwatch.config.thresholds import ThresholdMap
    from liqwatch.demo_environment import demo_environment
    from liqwatch.emulator import describe_accounts
    from liqwatch.engine_pacing import settle_heap
    from liqwatch.monitor_engine import MonitorEngine

    tty = sys.stdout.isatty() and not args.json
    record = Path(args.record) if args.record else None
    # The user's [alerts] (and [accounts.alerts]) as check --demo and the App's demo use them: one
    # definition of danger, whichever way the demo is watched.
    settings = user_settings(args.config)
    thresholds = ThresholdMap.from_settings(settings)
    async with demo_environment(record_path=record, thresholds=thresholds, speed=args.speed) as (emu, monitor), \
            AlertRuntime(settings, demo=True, terminal=None) as alerting:  # stdout carries the table
        # The alerts are evaluated by the engine, as for the App: raised, recorded in the demo's database
        # (``liqwatch alerts --demo``) and delivered, whether or not anything reads the table.
        await alerting.watch_store(monitor.store)
        async with MonitorEngine(monitor.store, alerting.on_snapshot) as engine:
            settle_heap()  # bootstrapped: the collector's full passes skip what lives for the whole run
            banner = [f"liqwatch demo: emulator on 127.0.0.1:{emu.port} (rest_url {emu.rest_url}, ws_url "
                      f"{emu.ws_url})", *describe_accounts(emu.scenario, show_secrets=False), ""]
            sys.stdout.write("\n".join(banner) + "\n")
            loop = asyncio.get_running_loop()
            end = None if args.seconds is None else loop.time() + args.seconds
            while end is None or loop.time() < end:
                snap = engine.latest
                assert snap is not None  # the engine publishes its first snapshot as it starts
                try:
                    if args.json:
                        sys.stdout.write(json.dumps(snapshot_json(snap), separators=(",", ":")) + "\n")
                    elif tty:
                        # Home the cursor and clear: a steady picture rather than a scrolling log.
                        sys.stdout.write("\x1b[H\x1b[2J" + "\n".join(banner) + "\n" + snapshot_text(snap))
                    else:
                        sys.stdout.write(snapshot_text(snap) + "\n")
                    sys.stdout.flush()
                except BrokenPipeError:
                    # The reader has gone (`| head -1`): a clean stop, through every ``async with`` as at the
                    # end of --seconds, so the record is closed and the next run sees no unclean stop.
                    stdout_gone()
                    return
                await asyncio.sleep(1.0 if end is None else max(0.0, min(1.0, end - loop.time())))
