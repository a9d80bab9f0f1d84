"""``liqwatch check``: headless. Wait for every feed to go LIVE, print the accounts, exit with the worst status.

Exit codes (nagios): 0 ok, 1 warning, 2 critical (liquidation-imminent included), 3 stale/unknown: a feed
that never became LIVE, a disabled account, a config or usage error, or an internal error (never 1: a
monitoring system must not read a crash as a mere warning).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from liqwatch.monitor_engine import MonitorEngine

EXIT_STALE = 3


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "check",
        help="wait for live data, print every account and position, exit with the worst status",
        description="Headless check. Exit codes: 0 ok, 1 warning, 2 critical, 3 stale or unknown.",
    )
    p.add_argument("--config", metavar="PATH", help="configuration file (default: the XDG config path)")
    p.add_argument("--demo", action="store_true", help="run against the built-in emulator scenario")
    p.add_argument("--json", action="store_true", help="print the documented JSON (one object per line)")
    p.add_argument("--watch", type=float, metavar="SECONDS", help="keep running this long, printing each second")
    p.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                   help="how long to wait for every feed to go LIVE (default 20)")
    p.add_argument("--record", metavar="FILE", help="append every raw frame (gzip JSON lines) to FILE")
    p.add_argument("--speed", type=float, default=1.0, metavar="X",
                   help="with --demo: run the demo market X times faster (default 1)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:

    from liqwatch.commands.errors import UserError
    from liqwatch.feeds.frame_recorder import RecordFileError

    if args.timeout is not None and args.timeout <= 0:
        raise UserError("--timeout must be > 0", EXIT_STALE)
    if args.watch is not None and args.watch <= 0:
        raise UserError("--watch must be > 0", EXIT_STALE)
    if not args.speed > 0 or (args.speed != 1.0 and not args.demo):
        raise UserError("--speed must be > 0 and needs --demo", EXIT_STALE)
    from liqwatch import stop_signal

    try:
        return stop_signal.run(_run(args))  # SIGTERM stops it as Ctrl-C does: cleanly, "stopped" sent
    except UserError as exc:
        exc.exit_code = EXIT_STALE  # a config or usage error is "unknown" for a monitoring system
        raise
    except RecordFileError as exc:
        raise UserError(str(exc), EXIT_STALE) from None
    except Exception as exc:
        import logging

        from liqwatch.redact import redact

        # Unknown, not "warning": without this an uncaught error would exit 1.
        logging.getLogger("liqwatch.check").debug("internal error", exc_info=True)
        sys.stderr.write(redact(f"liqwatch check: internal error: {type(exc).__name__}: {exc}") + "\n")
        return EXIT_STALE


async def _run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from liqwatch.alert_runtime import AlertRuntime
    from liqwatch.commands.monitor_setup import monitor_from_args
    from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
    from liqwatch.engine_pacing import settle_heap
    from liqwatch.monitor_engine import MonitorEngine

    def emit(obj: Any, text: str) -> None:
        # The record's state with every line: alerts not written yet are still in memory, and say so.
        record_status = alerting.record_status
        if args.json:
            import json

            obj["record"] = record_status
            sys.stdout.write(json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n")
        else:
            sys.stdout.write(text if record_status == "ok" else f"{text}  record: {record_status}\n")
        sys.stdout.flush()

    record = Path(args.record) if args.record else None
    # The demo's market waits for every feed to be LIVE: its story starts at the first report, however slow the
    # start (a loaded machine took over 10 s, by which time the demo's 30x account was already critical).
    async with monitor_from_args(args.config, args.demo, record, args.speed,
                                 hold_until_live_s=args.timeout) as (monitor, settings), AlertRuntime(
        settings, demo=args.demo, terminal=None  # stdout carries the report: no bell or OSC bytes in it
    ) as alerting:
        await alerting.watch_store(monitor.store)  # liquidations: released by their ack, looked up at start
        live = await monitor.wait_live(args.timeout)
        # The engine builds the snapshots and evaluates their alerts; this prints what it published (the
        # first once its alerts are evaluated, 5 s at most; later ones at once, ALERTS BEHIND if they lag).
        engine = MonitorEngine(monitor.store, alerting.on_snapshot)
        snap = await engine.step(force=True)
        assert snap is not None
        if args.watch is None:
            emit(snapshot_json(snap), snapshot_text(snap))
            # A feed that never went LIVE leaves its account STALE in the snapshot; a critical account
            # elsewhere still ranks above it.
            return snap.status.exit_code
        settle_heap()  # watching from now on: the collector's full passes skip what lives for the whole run
        engine.start()
        try:
            return await _watch(args.watch, engine, live, emit)
        finally:
            await engine.stop()


async def _watch(seconds: float, engine: MonitorEngine, live: bool, emit: Callable[[Any, str], None]) -> int:
    """Print what the engine published once a second; the worst status seen after every feed first went LIVE
    (read from the snapshots, as everything printed)."""
    import asyncio

    from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
    from liqwatch.status import Status

    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    snap = engine.latest
    assert snap is not None
    went_live = live
    worst_live: Status | None = None  # the worst after every feed first went LIVE
    worst_any = snap.status
    while True:
        if went_live:
            worst_live = snap.status if worst_live is None or snap.status.rank > worst_live.rank else worst_live
        worst_any = snap.status if snap.status.rank > worst_any.rank else worst_any
        emit(snapshot_json(snap), snapshot_text(snap))
        remaining = end - loop.time()
        if remaining <= 0:
            break
        # A cancel (Ctrl-C, SIGTERM) ends the watch here: the `async with`s close the run cleanly.
        await asyncio.sleep(min(1.0, remaining))
        snap = engine.latest or snap
        went_live = went_live or snap.all_live
    return (worst_live or worst_any).exit_code
