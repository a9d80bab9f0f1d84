"""Launching the App: what it watches (the demo's emulator, or the configured accounts) and how it starts.

``tui.cli`` routes ``liqwatch demo`` (on a terminal, without ``--plain``/``--json``) and a bare
``liqwatch`` with configured accounts here. Textual is imported only by these functions' callees, so
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
from liqwatch.config import ConfigError, Settings, load_settings
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
            open_alerts(settings, demo=True, terminal=terminal, store=monitor.store) as alerts:
        yield Backend(monitor.store, alerts, f"demo · emulator on 127.0.0.1:{emu.port}")


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
                                                               store=monitor.store) as alerts:
        yield Backend(monitor.store, alerts, f"{len(accounts)} account(s)")


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


def has_accounts(path: Path | None) -> bool:
    try:
        return bool(load_settings(path).accounts)
    except ConfigError:
        return path is not None  # a named file that is broken: let the launch report why


def run_config_app(path: Path | None) -> int:
    from tui.app import make_app

    settings = _settings(path, quiet=False)
    if not settings.accounts:
        raise UserError("no accounts configured: add [[accounts]] to the configuration (see config.example.toml)")
    from tui.terminal_out import AppTerminal

    app = make_app(settings.ui, connect=lambda: config_backend(settings, terminal=terminal))
    terminal = AppTerminal(app)
    app.run()
    return 0
