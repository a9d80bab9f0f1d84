"""Launching the App: what it watches (the demo's emulator, or the configured accounts) and how it starts.

``tui.cli`` routes ``liqwatch demo`` (on a terminal, without ``--plain``/``--json``) and a bare
``liqwatch`` here. Textual is imported only by these functions' callees, so
headless commands never load it.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path

from liqwatch.alerts.delivery.terminal import ByteStream
from liqwatch.commands.errors import UserError
from liqwatch.config import ConfigError, Settings, load_config, load_settings
from liqwatch.engine_pacing import settle_heap
from liqwatch.monitor_engine import MonitorEngine
from liqwatch.store import MonitorStore
from tui.backend import Backend
from widgets.ports import AlertPort

log = logging.getLogger(__name__)


@contextlib.asynccontextmanager
async def open_alerts(settings: Settings, *, demo: bool, terminal: ByteStream | None = None,
                      store: MonitorStore | None = None) -> AsyncIterator[AlertPort]:
    """The database-backed alerts, ringing ``terminal``; in memory (and said so) if the database cannot be
    opened."""
    from liqwatch.alert_runtime import AlertRuntime
    from liqwatch.config.thresholds import ThresholdMap
    from tui.alerts_adapter import EngineAlerts, ServiceAlerts

    runtime = AlertRuntime(settings, demo=demo, terminal=terminal)
    try:
        await runtime.__aenter__()
    except Exception as exc:  # a full disk or a locked file must not keep the monitor from starting
        log.warning("alerts: database unavailable (%s); alerts are kept in memory only", exc)
        yield EngineAlerts(ThresholdMap.from_settings(settings), store=store)
        return
    try:
        if store is not None:
            await runtime.watch_store(store)  # acknowledging a liquidation releases its row
        yield ServiceAlerts(runtime)
    finally:
        await runtime.__aexit__(None, None, None)


@contextlib.asynccontextmanager
async def demo_backend(settings: Settings, speed: float = 1.0, record: Path | None = None,
                       terminal: ByteStream | None = None) -> AsyncIterator[Backend]:
    from liqwatch.config.thresholds import ThresholdMap
    from liqwatch.demo_environment import demo_environment

    thresholds = ThresholdMap.from_settings(settings)  # the same the alerts use
    async with demo_environment(record_path=record, thresholds=thresholds, speed=speed) as (emu, monitor), \
            open_alerts(settings, demo=True, terminal=terminal, store=monitor.store) as alerts, \
            MonitorEngine(monitor.store, alerts.update) as engine:
        settle_heap()  # bootstrapped: the collector's full passes skip what lives for the whole run
        yield Backend(engine, alerts, f"demo · emulator on 127.0.0.1:{emu.port}")


@contextlib.asynccontextmanager
async def config_backend(settings: Settings, record: Path | None = None, terminal: ByteStream | None = None
                         ) -> AsyncIterator[Backend]:
    from liqwatch.config.thresholds import ThresholdMap
    from liqwatch.feeds.from_config import feed_accounts, feed_options
    from liqwatch.monitor import Monitor

    accounts, disabled = feed_accounts(settings)
    thresholds = ThresholdMap.from_settings(settings)  # each account's own, as its alerts use them
    async with Monitor(accounts, disabled=disabled, options=feed_options(settings), thresholds=thresholds,
                       record_path=record) as monitor, open_alerts(settings, demo=False, terminal=terminal,
                                                               store=monitor.store) as alerts, \
            MonitorEngine(monitor.store, alerts.update) as engine:  # builds, evaluates, publishes
        settle_heap()  # bootstrapped: the collector's full passes skip what lives for the whole run
        yield Backend(engine, alerts, f"{len(accounts)} account(s)")


def _settings(path: Path | None, *, quiet: bool) -> Settings:
    try:
        return load_settings(path)
    except ConfigError as exc:
        if not quiet:
            raise UserError(str(exc)) from None
        # The demo does not need the user's file: a broken one only costs its [ui] preferences.
        log.warning("configuration ignored for the demo: %s", exc)
        return Settings()


def run_demo_app(args: argparse.Namespace) -> int:
    from tui.app import make_app

    if args.seconds is not None and not args.seconds > 0:
        raise UserError("--seconds must be > 0")
    if not args.speed > 0:
        raise UserError("--speed must be > 0")
    # A file named with --config must load (its thresholds judge the demo's accounts); the default one is
    # optional for the demo.
    config = getattr(args, "config", None)
    settings = _settings(Path(config) if config else None, quiet=config is None)
    record = Path(args.record) if args.record else None
    if record is not None:
        from liqwatch.feeds.frame_recorder import check_record_file

        check_record_file(record)  # a bad --record FILE is a message here, not an error inside the App
    from tui.terminal_out import AppTerminal

    app = make_app(settings.ui, connect=lambda: demo_backend(settings, args.speed, record, terminal),
                   stop_after_s=args.seconds)
    terminal = AppTerminal(app)  # the bell and notifications go out through the App's own writer
    app.run()
    return 0


def no_config_message(where: Path) -> str:
    """A bare ``liqwatch`` with no configuration file: where it looked, and the two ways to start."""
    return (f"no configuration file at {where} (the default place; another one: liqwatch --config PATH)\n"
            "  to try it without an account:  liqwatch demo\n"
            "  to watch your own accounts:    copy config.example.toml (beside the README) to that place, add your\n"
            "                                 [[accounts]], check it with: liqwatch config check")


def run_bare(path: Path | None, *, terminal: bool) -> int:
    """A bare ``liqwatch``: the App on the configured accounts. A broken, missing or unsafe file, a file
    without accounts, or output that is not a terminal is a message naming what is wrong (exit 2), the same
    whatever the output is connected to."""
    try:
        loaded = load_config(path)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    if not loaded.file_found:
        raise UserError(no_config_message(loaded.path))
    if not loaded.settings.accounts:
        raise UserError(f"no accounts configured in {loaded.path}: add [[accounts]] (see config.example.toml)")
    if not terminal:
        raise UserError("the app needs a terminal (stdin and stdout); off a terminal use "
                        "liqwatch check (a report) or liqwatch demo --plain")
    return run_config_app(loaded.settings)


def run_config_app(settings: Settings) -> int:
    from tui.app import make_app
    from tui.terminal_out import AppTerminal

    app = make_app(settings.ui, connect=lambda: config_backend(settings, terminal=terminal))
    terminal = AppTerminal(app)
    app.run()
    return 0
