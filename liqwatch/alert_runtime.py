"""Alerting for a running monitor in one async context: the database, the service, the outbox sender, the
history recorder and the retention purge. What ``check --watch``, ``demo`` and the App plug in.

    async with AlertRuntime(settings, demo=False, terminal=tty) as alerting:
        ...
        events = await alerting.on_snapshot(monitor.store.snapshot())
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from liqwatch.alerts import alert_rows
from liqwatch.alerts.delivery.from_config import Deliveries, build_deliveries
from liqwatch.alerts.delivery.outbox_sender import OutboxSender
from liqwatch.alerts.delivery.terminal import ByteStream
from liqwatch.alerts.engine import DEFAULT_OPTIONS
from liqwatch.alerts.heartbeat import Heartbeat, start_heartbeat
from liqwatch.alerts.liquidation_tracking import LiquidationTracker
from liqwatch.alerts.model import AlertEvent
from liqwatch.alerts.service import AlertService
from liqwatch.clock import Clock, SystemClock
from liqwatch.config.thresholds import EngineOptions, ThresholdMap
from liqwatch.history_recorder import HistoryRecorder
from liqwatch.storage import retention
from liqwatch.storage.db import StorageError
from liqwatch.storage.demo_records import DemoRecordLock, claim_demo_record
from liqwatch.storage.paths import database_path, demo_directory, real_database_path
from liqwatch.storage.record import Record
from liqwatch.store import MonitorSnapshot, MonitorStore

if TYPE_CHECKING:
    from liqwatch.config.settings import Settings

log = logging.getLogger(__name__)

PURGE_EVERY_S = 6 * 3600.0


class AlertRuntime:
    def __init__(
        self,
        settings: Settings,
        *,
        demo: bool = False,
        terminal: ByteStream | None = None,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
        db_path: Path | None = None,
        options: EngineOptions = DEFAULT_OPTIONS,
        sample_interval_s: float = 60.0,
    ) -> None:
        self.settings = settings
        self._demo = demo
        self.clock = clock or SystemClock()
        # A demo run without a named file claims a record of its own at __aenter__ (storage.demo_records).
        self._claim_demo = demo and db_path is None
        self._demo_lock: DemoRecordLock | None = None
        # Until then (and if the claim fails) the demo directory's undated file: never another run's record.
        self.path = db_path or (demo_directory(settings) / real_database_path(settings).name if demo
                                else database_path(settings))
        self._terminal = terminal
        self._environ = os.environ if environ is None else environ
        self._options = options
        self._sample_interval_s = sample_interval_s
        self._last_purge: float | None = None
        self.db: Record | None = None
        self.deliveries = Deliveries()
        self.sender: OutboxSender | None = None
        self.recorder: HistoryRecorder | None = None
        self._service: AlertService | None = None
        self.bookkeeping_error: str | None = None
        self.liquidations: LiquidationTracker | None = None
        self.heartbeat: Heartbeat | None = None

    @property
    def service(self) -> AlertService:
        if self._service is None:
            raise RuntimeError("AlertRuntime is not open: use `async with AlertRuntime(...)`")
        return self._service

    async def __aenter__(self) -> AlertRuntime:
        # Never fails for the file: a locked, full or corrupt database is reopened every few seconds while
        # alerts are shown, rung and queued for it (``Record``); ``record_status`` says why.
        if self._claim_demo:
            try:
                self._demo_lock = claim_demo_record(demo_directory(self.settings),
                                                    real_database_path(self.settings), self.clock.now())
                self.path = self._demo_lock.path
            except OSError as exc:  # the directory cannot be written: Record reports it and keeps retrying
                log.error("storage: no demo record could be claimed in %s: %s", self.path.parent, exc)
        try:
            self.db = await Record.open(self.path)
        except BaseException:
            self._release_demo_record()
            raise
        if not self.db.available:
            log.error("storage: %s; alerts are shown and kept, and written once it can be opened (tried every"
                      " %.0f s)", self.db.health.text, self.db.reopen_s)
        try:
            self._purge()
            self.deliveries = build_deliveries(self.settings.alerts.delivery, terminal=self._terminal,
                                               environ=self._environ)
            for problem in self.deliveries.problems:
                log.warning("alerts: %s", problem)
            if self._demo:
                await self._close_earlier_demo_alerts()
            self.sender = OutboxSender(self.db, self.deliveries.webhooks, clock=self.clock)
            self._service = await AlertService.open(self.db, ThresholdMap.from_settings(self.settings),
                                                    clock=self.clock, deliveries=self.deliveries,
                                                    sender=self.sender, options=self._options)
            self.recorder = HistoryRecorder(self.db, interval_s=self._sample_interval_s)
            await self.recorder.start(self.clock.now())
            self.sender.start()  # pending deliveries of an earlier run go out now
            self.db.on_available.append(self.sender.wake)
            # Demo runs share one run-marker directory (the undated name's): each has a record of its own, and
            # a demo run that was killed is still reported by the next.
            markers = (demo_directory(self.settings) / real_database_path(self.settings).name
                       if self._claim_demo else self.path)
            self.heartbeat = start_heartbeat(self.settings.alerts.delivery.heartbeat, self.deliveries, markers,
                                             self._environ, self.clock, self._service.risk_events)
        except BaseException:
            await self.db.aclose()
            self._release_demo_record()
            raise
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self.heartbeat is not None:
            await self.heartbeat.stop(et, ev, tb)  # "liqwatch stopped", while the loop still runs
        if self.sender is not None:
            await self.sender.stop()
        if self._service is not None:
            await self._service.flush()
        if self.db is not None:
            lost = await self.db.aclose()
            if lost:
                self.bookkeeping_error = f"{lost} write(s) not recorded at exit: {self.db.health.text}"
        self._release_demo_record()

    def _release_demo_record(self) -> None:
        if self._demo_lock is not None:
            self._demo_lock.release()  # the record may be pruned from now on
            self._demo_lock = None

    async def watch_store(self, store: MonitorStore) -> None:
        """Link the monitor's store: acknowledging a liquidation releases its row, and the positions are
        kept for the next run (which looks up what closed meanwhile). Call once, before the first snapshot."""
        assert self.db is not None
        # The demo starts its emulator afresh: nothing of an earlier demo run can have closed meanwhile.
        self.liquidations = LiquidationTracker(self.db, self.service, store, compare_with_last_run=not self._demo)
        await self.liquidations.start()

    async def on_snapshot(self, snapshot: MonitorSnapshot, *, skew_s: Mapping[str, float] | None = None
                          ) -> list[AlertEvent]:
        """Evaluate and record one snapshot; call it on the UI/refresh timer (once a second is plenty)."""
        events = await self.service.update(snapshot, skew_s=skew_s)
        if self.heartbeat is not None:
            self.heartbeat.alive(snapshot, len(self.service.alerts()))
            if self.db is not None:
                self.heartbeat.confirm(self.db)  # an unclean stop's marker goes once its alert is recorded
        # History and retention are queued on the record like the alerts: a full disk or a locked file
        # delays them, and never the monitor; and whatever else goes wrong there costs the plots only.
        try:
            if self.recorder is not None:
                await self.recorder.on_snapshot(snapshot)
            if self.liquidations is not None:
                await self.liquidations.on_snapshot(snapshot)
            mono = self.clock.monotonic()
            if self._last_purge is not None and mono - self._last_purge >= PURGE_EVERY_S:
                self._purge()
        except (sqlite3.Error, StorageError, OSError) as exc:
            self.bookkeeping_error = f"{type(exc).__name__}: {exc}"
            log.warning("storage: history not recorded: %s", self.bookkeeping_error)
        return events

    @property
    def record_status(self) -> str:
        """``ok``, or ``unavailable: <reason>`` while the database cannot be opened or written (what
        ``check --json`` prints as ``record`` and the App's header marks)."""
        return "unavailable: not open" if self.db is None else self.db.health.text

    async def _close_earlier_demo_alerts(self) -> None:
        assert self.db is not None
        now = self.clock.now()
        try:
            await self.db.run(alert_rows.close_all_active, now, "a new demo run started")
        except (sqlite3.Error, StorageError, OSError):
            self.db.submit(alert_rows.close_all_active, now, "a new demo run started")

    def _purge(self) -> None:
        assert self.db is not None
        self._last_purge = self.clock.monotonic()
        done = self.db.submit_droppable(retention.purge, self.clock.now(), self.settings.storage.retention_days)
        done.add_done_callback(_log_purge)


def _log_purge(done: asyncio.Future[dict[str, int]]) -> None:
    if done.cancelled() or done.exception() is not None:
        return
    deleted = done.result()
    if any(deleted.values()):
        log.info("storage: purged %s", {k: v for k, v in deleted.items() if v})
