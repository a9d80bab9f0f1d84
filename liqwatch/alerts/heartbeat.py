"""The heartbeat: a ping every ``interval_s`` to a dead-man's-switch service while snapshots are being evaluated
(a stalled monitor stops pinging, so the service tells you), "liqwatch stopped" there at exit, and the run
marker that lets the next start report an unclean stop (``liqwatch.storage.run_marker``).

Pings are sent directly, not through the outbox: a ping that could not be sent is worth nothing later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType

import aiohttp

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.delivery.from_config import Deliveries, webhook_channel
from liqwatch.alerts.delivery.notification import Notification
from liqwatch.alerts.delivery.webhooks import PermanentError, RetryableError, WebhookChannel
from liqwatch.alerts.model import EventKind
from liqwatch.clock import Clock, SystemClock
from liqwatch.config.alerts import Webhook
from liqwatch.config.heartbeat import Heartbeat as HeartbeatConfig
from liqwatch.risk_events import RiskEvent, RiskEventKind, RiskEventQueue
from liqwatch.storage.db import Database
from liqwatch.storage.record import Record
from liqwatch.storage.run_marker import RunMarker, UncleanStop, marker_dir
from liqwatch.store import MonitorSnapshot

log = logging.getLogger(__name__)

TOUCH_S = 5.0  # how often the run marker's "last seen" moves on
CONFIRM_WAIT_S = 2.0  # at exit, how long an unclean stop's marker waits for the record to confirm its alert


def heartbeat_target(cfg: HeartbeatConfig, deliveries: Deliveries, environ: Mapping[str, str]
                     ) -> WebhookChannel | str | None:
    """Where pings go, why they cannot (a str), or None when the heartbeat is off."""
    if not cfg.enabled:
        return None
    if cfg.webhook is not None:
        found = next((w for w in deliveries.webhooks if w.name == cfg.webhook), None)
        return found if found is not None else f"webhook {cfg.webhook} is not available (see its own message)"
    # A generic webhook of its own: the same URL checks, secret handling and HTTP attempt.
    hook = Webhook(name="heartbeat", url=cfg.url, url_env=cfg.url_env, timeout_s=cfg.timeout_s)
    return webhook_channel(hook, environ)


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _notice(kind: EventKind, level: AlertLevel, message: str, now: datetime) -> Notification:
    return Notification(f"{kind.value}-{int(now.timestamp() * 1000)}", kind.value, kind, level, "", kind.value, "",
                        None, None, message, _iso(now), _iso(now))


class Heartbeat:
    def __init__(self, marker: RunMarker, target: WebhookChannel | None, *, interval_s: float = 60.0,
                 on_stop: bool = True, clock: Clock | None = None, touch_s: float = TOUCH_S) -> None:
        self.marker = marker
        self.target = target
        self.interval_s = interval_s
        self.on_stop = on_stop
        self.clock = clock or SystemClock()
        self.touch_s = touch_s
        self.sent = 0
        self.last_error: str | None = None
        self._summary: str | None = None  # what the last evaluated snapshot said; None: none since the last ping
        self._last_ping: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None
        #: Unclean stops of earlier runs reported (pushed as alerts) but not yet known to be in the record.
        self.unrecorded: list[UncleanStop] = []
        self._check: asyncio.Future[set[str]] | None = None

    @classmethod
    def from_config(cls, cfg: HeartbeatConfig, deliveries: Deliveries, marker: RunMarker,
                    environ: Mapping[str, str], clock: Clock | None = None) -> Heartbeat:
        target = heartbeat_target(cfg, deliveries, environ)
        if isinstance(target, str):
            log.warning("heartbeat: %s; not pinging", target)
            target = None
        return cls(marker, target, interval_s=cfg.interval_s, on_stop=cfg.on_stop, clock=clock)

    # --- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> list[UncleanStop]:
        """Write this run's marker and start the loop; returns the unclean stops of earlier runs."""
        try:
            stops = self.marker.start(self.clock.now())
        except OSError as exc:
            log.warning("run marker: %s; an unclean stop of this run will not be reported", exc)
            stops = []
        self.unrecorded = list(stops)
        self._task = asyncio.create_task(self._run(), name="liqwatch:heartbeat")
        return stops

    def confirm(self, record: Record) -> None:
        """After an evaluation: ask the record (queued behind the alerts' writes, so it answers once they
        landed) whether the unclean-stop alerts are in; each one that is releases its marker for good. A
        marker whose alert never lands is kept for the next start (``RunMarker.stop``)."""
        if not self.unrecorded or (self._check is not None and not self._check.done()):
            return
        self._check = record.submit_droppable(recorded_messages, [s.message() for s in self.unrecorded])
        self._check.add_done_callback(self._checked)

    def _checked(self, done: asyncio.Future[set[str]]) -> None:
        if done.cancelled() or done.exception() is not None:
            return  # not known: asked again after the next evaluation
        found = done.result()
        for stop in [s for s in self.unrecorded if s.message() in found]:
            self.unrecorded.remove(stop)
            self.marker.reported(stop)

    async def stop(self, et: type[BaseException] | None = None, ev: BaseException | None = None,
                   tb: TracebackType | None = None) -> None:
        """At exit: "liqwatch stopped" to the target, and the marker removed (kept with the error when the
        exit is an error's, so that the next start reports it too)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._check is not None and not self._check.done():
            # An unclean stop's alert just written (a one-shot `check`): let the record say so, or its
            # marker goes back and the next start reports it again. Not long: a locked record says nothing.
            await asyncio.wait([self._check], timeout=CONFIRM_WAIT_S)
        error = None
        if ev is not None and not isinstance(ev, (asyncio.CancelledError, KeyboardInterrupt, SystemExit)):
            error = type(ev).__name__
        now = self.clock.now()
        try:
            # Only after a ping: a one-shot `liqwatch check` was never "watching", and must not send it.
            if self.target is not None and self.on_stop and self.sent:
                how = f"after an error ({error})" if error else "cleanly"
                await self._send(_notice(EventKind.STOPPED, AlertLevel.WARNING if error else AlertLevel.INFO,
                                         f"liqwatch stopped {how} at {now.strftime('%H:%M:%S')} UTC", now))
        finally:
            if self._session is not None:
                await self._session.close()
                self._session = None
            self.marker.stop(now, error)

    def alive(self, snapshot: MonitorSnapshot, active_alerts: int) -> None:
        """An evaluated snapshot: the monitor is watching; the next ping says what it saw."""
        self._summary = (f"liqwatch is watching {len(snapshot.accounts)} accounts: status "
                         f"{snapshot.status.value.lower()}, {active_alerts} alerts active")

    # --- work --------------------------------------------------------------------------------------------
    async def ping_if_due(self) -> bool:
        mono = self.clock.monotonic()
        if self.target is None or self._summary is None:
            return False
        if self._last_ping is not None and mono - self._last_ping < self.interval_s:
            return False
        self._last_ping = mono
        summary, self._summary = self._summary, None
        return await self._send(_notice(EventKind.HEARTBEAT, AlertLevel.INFO, summary, self.clock.now()))

    async def _send(self, n: Notification) -> bool:
        assert self.target is not None
        if self._session is None:
            # trust_env off, as for the outbox: a proxy from the environment would see the URL's secret path.
            self._session = aiohttp.ClientSession(trust_env=False)
        try:
            await self.target.send(self._session, n)
        except (RetryableError, PermanentError) as exc:
            self.last_error = str(exc)
            log.warning("heartbeat: %s not sent to %s: %s", n.event.value, self.target.name, exc)
            return False
        self.sent += 1
        self.last_error = None
        return True

    async def _run(self) -> None:
        last_touch = self.clock.monotonic()
        step = min(self.touch_s, self.interval_s, 1.0)
        while True:
            await asyncio.sleep(step)
            try:
                await self.ping_if_due()
                if self.clock.monotonic() - last_touch >= self.touch_s:
                    last_touch = self.clock.monotonic()
                    self.marker.touch(self.clock.now())
            except Exception:
                log.exception("heartbeat: failed; carrying on")


def recorded_messages(db: Database, messages: list[str]) -> set[str]:
    """Which of ``messages`` an alert in the record carries."""
    if not messages:
        return set()
    marks = ", ".join("?" for _ in messages)
    rows = db.query(f"SELECT message FROM alerts WHERE message IN ({marks})", tuple(messages))
    return {str(r["message"]) for r in rows}


def unclean_stop_event(stop: UncleanStop) -> RiskEvent:
    """An earlier run that did not stop cleanly, as an alert (a warning; latched until acknowledged)."""
    return RiskEvent(RiskEventKind.OTHER, "", stop.message(), stop.seen_at)  # a warning (alerts.risk_levels)


def start_heartbeat(cfg: HeartbeatConfig, deliveries: Deliveries, db_path: Path, environ: Mapping[str, str],
                    clock: Clock, risk_events: RiskEventQueue) -> Heartbeat:
    """What ``AlertRuntime`` starts: the heartbeat (if configured) and the run marker beside ``db_path``; an
    unclean stop of an earlier run is pushed to ``risk_events``, raised on the next evaluation."""
    beat = Heartbeat.from_config(cfg, deliveries, RunMarker(marker_dir(db_path)), environ, clock)
    for stop in beat.start():
        log.warning("%s", stop.message())
        risk_events.push(unclean_stop_event(stop))
    return beat
