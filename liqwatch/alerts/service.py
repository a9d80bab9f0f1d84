"""``AlertService``: evaluates each snapshot, shows the events (its ``state``), queues them for the record
(``Record``: in order, retried until they land, with their webhooks' outbox rows) and hands them to
delivery. Also the trader's actions (ack, snooze) for the UI, and the
pick-up of acknowledgements made with ``liqwatch alerts ack`` while the app runs."""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType
from typing import Any

from liqwatch.alerts import alert_rows, engine
from liqwatch.alerts.alert_rows import AckRequest
from liqwatch.alerts.delivery.from_config import Deliveries
from liqwatch.alerts.delivery.immediate import DeliveryError, ImmediateSender
from liqwatch.alerts.delivery.late import LateEvent, save_tracking
from liqwatch.alerts.delivery.notification import Notification
from liqwatch.alerts.delivery.outbox_sender import OutboxSender
from liqwatch.alerts.memo import EvaluationMemo
from liqwatch.alerts.model import Alert, AlertEvent, AlertState, EventKind
from liqwatch.alerts.shared_alerts import SharedAlerts, save_if_active
from liqwatch.alerts.takeover import merge_earlier
from liqwatch.clock import Clock, SystemClock
from liqwatch.config.thresholds import EngineOptions, ThresholdMap
from liqwatch.risk_events import RiskEventQueue
from liqwatch.storage.async_db import AsyncDatabase
from liqwatch.storage.db import StorageError
from liqwatch.storage.record import Record
from liqwatch.storage.timefmt import from_ts
from liqwatch.store import MonitorSnapshot

log = logging.getLogger(__name__)

ACK_POLL_S = 2.0
WRITE_WAIT_S = 0.5  # how long evaluation waits for a healthy record's write before it goes on without it


class AlertService:
    def __init__(
        self,
        db: AsyncDatabase | Record,
        thresholds: ThresholdMap,
        *,
        clock: Clock | None = None,
        deliveries: Deliveries | None = None,
        sender: OutboxSender | None = None,
        options: EngineOptions = engine.DEFAULT_OPTIONS,
        state: AlertState | None = None,
        ack_poll_s: float = ACK_POLL_S,
        write_wait_s: float = WRITE_WAIT_S,
        earlier: asyncio.Future[list[Alert]] | None = None,
    ) -> None:
        self.record = Record.of(db)
        self.db = self.record
        self.write_wait_s = write_wait_s
        self.thresholds = thresholds
        # What the last evaluation judged of each account: reused for an unchanged view (alerts.memo).
        self.memo = EvaluationMemo()
        self.clock = clock or SystemClock()
        self.deliveries = deliveries or Deliveries()
        self.sender = sender
        self.options = options
        self.ack_poll_s = ack_poll_s
        self.risk_events = RiskEventQueue()
        """Typed events with no store to report to (the heartbeat's unclean stop) are ``push``-ed here and
        raised on the next ``update``; the feeds' are in the snapshot's event log."""
        self._state = state or AlertState()
        self._shared = SharedAlerts(self._state.active.values())  # restored: another process may have them too
        self._lock = asyncio.Lock()
        self._last_ack_poll: float | None = None
        self._ack_fetch: asyncio.Future[list[AckRequest]] | None = None
        self._wait_until: float | None = None
        self._background: set[asyncio.Task[None]] = set()
        self._earlier = earlier
        """The alerts of earlier runs still to take over (the record could not be read at start)."""
        self.on_acknowledged: list[Callable[[Alert], None]] = []
        """Called with each alert the trader acknowledged (here or with ``liqwatch alerts ack``), after it
        was stored: how the store releases a liquidation it kept listed."""
        self.on_events: list[Callable[[Sequence[AlertEvent]], None]] = []
        """Called with every event as it is shown (raised, escalated, acknowledged and snoozed here or with
        ``liqwatch alerts``, cleared): the session's history the app lists (``h``)."""

    @classmethod
    async def open(
        cls,
        db: AsyncDatabase | Record,
        thresholds: ThresholdMap,
        *,
        clock: Clock | None = None,
        deliveries: Deliveries | None = None,
        sender: OutboxSender | None = None,
        options: EngineOptions = engine.DEFAULT_OPTIONS,
        ack_poll_s: float = ACK_POLL_S,
    ) -> AlertService:
        """A service that carries on from the database: alerts still active (with their acknowledgements
        and snoozes) are restored, and new alert ids get a prefix unique to this run. A record that cannot be
        read now costs the restored alerts, never the start: ids then get a prefix from the time."""
        record = Record.of(db)
        earlier: asyncio.Future[list[Alert]] | None = None
        try:
            prefix = await record.run(alert_rows.next_id_prefix)
            active = await record.run(alert_rows.load_active)
        except (sqlite3.Error, StorageError, OSError) as exc:
            log.error("alerts: the record cannot be read (%s): the alerts of earlier runs are taken over once"
                      " it can be", exc)
            prefix, active = _time_prefix(), []
            # Queued ahead of every write of this run: it reads what earlier runs left active.
            earlier = record.submit(alert_rows.load_active)
        db = record
        state = AlertState(active=MappingProxyType({a.key: a for a in active}), id_prefix=prefix)
        return cls(db, thresholds, clock=clock, deliveries=deliveries, sender=sender, options=options,
                   state=state, ack_poll_s=ack_poll_s, earlier=earlier)

    # --- reading (for the UI) ----------------------------------------------------------------------------
    @property
    def state(self) -> AlertState:
        return self._state

    def alerts(self) -> list[Alert]:
        """Active alerts, worst first."""
        return self._state.alerts()

    def needs_attention(self) -> bool:
        return self._state.needs_attention(self.clock.now())

    # --- evaluation ----------------------------------------------------------------------------------------
    async def update(self, snapshot: MonitorSnapshot, *, skew_s: Mapping[str, float] | None = None) -> list[AlertEvent]:
        """Evaluate one snapshot; returns the events, shown, queued for the record and handed to delivery."""
        async with self._lock:
            # One budget for every wait on the record in this evaluation: a slow database costs a tick at
            # most ``write_wait_s``, however many writes it makes.
            self._wait_until = asyncio.get_running_loop().time() + self.write_wait_s
            try:
                return await self._update(snapshot, skew_s)
            finally:
                self._wait_until = None

    async def _update(self, snapshot: MonitorSnapshot, skew_s: Mapping[str, float] | None) -> list[AlertEvent]:
        await self._take_over_earlier()
        self._drop_taken_elsewhere()
        await self._poll_acks_if_due()
        now = self.clock.now()
        pushed = self.risk_events.drain()
        state, events = engine.evaluate(self._state, snapshot, self.thresholds, now, skew_s=skew_s,
                                        risk_events=pushed, options=self.options, memo=self.memo)
        await self._commit(state, events)
        if self.deliveries.bell is not None:
            try:
                self.deliveries.bell.tick(self._state, now)
            except DeliveryError as exc:
                log.warning("bell: %s", exc)
        return events

    def _drop_taken_elsewhere(self) -> None:
        gone = self._shared.taken_elsewhere
        if gone:
            self._shared.taken_elsewhere = set()
            active = {k: a for k, a in self._state.active.items() if a.id not in gone}
            self._state = replace(self._state, active=MappingProxyType(active))

    async def _take_over_earlier(self) -> None:
        """Once the alerts of earlier runs could be read (``open`` on an unreadable record), merge them in:
        see ``takeover.merge_earlier``. Before this evaluation, so an adopted alert is judged by it."""
        fetch = self._earlier
        if fetch is None or not fetch.done():
            return
        self._earlier = None
        if fetch.cancelled() or fetch.exception() is not None:
            log.warning("alerts: the alerts of earlier runs could not be read: %s; trying again",
                        None if fetch.cancelled() else fetch.exception())
            self._earlier = self.record.submit(alert_rows.load_active)
            return
        state, closes = merge_earlier(self._state, fetch.result(), self.clock.now())
        # Adopted or superseded, they may be another process's too: their writes are conditional.
        self._shared.add([*(a for a in state.active.values() if self._state.by_id(a.id) is None),
                          *(e.alert for e in closes)])
        adopted = len(state.active) - len(self._state.active)
        if adopted or closes:
            log.warning("alerts: the record is readable: %d alert(s) of earlier runs taken over, %d superseded"
                        " by this run's", adopted, len(closes))
        await self._commit(state, closes)

    # --- the trader's actions ------------------------------------------------------------------------------
    async def ack(self, alert_id: str) -> bool:
        """Stop the noise of one alert; it stays listed until it clears. False if no such active alert."""
        return bool(await self._act(lambda s, now: engine.ack(s, alert_id, now, self.options)))

    async def ack_all(self) -> int:
        """Acknowledge every active alert; returns how many were acknowledged."""
        events = await self._act(lambda s, now: engine.ack_all(s, now, self.options))
        return sum(1 for e in events if e.kind is EventKind.ACKNOWLEDGED)

    async def snooze(self, alert_id: str, seconds: float) -> bool:
        """Quiet for ``seconds`` unless the level worsens; a reminder when the time is up."""
        return bool(await self._act(lambda s, now: engine.snooze(s, alert_id, seconds, now, self.options)))

    async def _act(self, action: Callable[[AlertState, datetime], tuple[AlertState, list[AlertEvent]]]
                   ) -> list[AlertEvent]:
        async with self._lock:
            state, events = action(self._state, self.clock.now())
            await self._commit(state, events)
            return events

    async def poll_acks(self) -> list[AlertEvent]:
        """Apply acknowledgements written to the database by ``liqwatch alerts ack`` (done by ``update``
        every ``ack_poll_s``)."""
        async with self._lock:
            return await self._poll_acks()

    async def _poll_acks_if_due(self) -> None:
        # Queued like a write (it marks the requests taken) and never waited for past a moment: a locked
        # database delays the pick-up of `liqwatch alerts ack`, never the evaluation.
        if self._ack_fetch is None:
            mono = self.clock.monotonic()
            if self._last_ack_poll is not None and mono - self._last_ack_poll < self.ack_poll_s:
                return
            self._last_ack_poll = mono
            self._ack_fetch = self.record.submit(alert_rows.take_ack_requests, self.clock.now())
            await self._settle(self._ack_fetch)
        fetch = self._ack_fetch
        if not fetch.done():
            return
        self._ack_fetch = None
        if fetch.cancelled() or fetch.exception() is not None:
            log.warning("alerts: cannot read acknowledgements from the database: %s",
                        None if fetch.cancelled() else fetch.exception())
            return
        await self._apply_acks(fetch.result())

    async def _poll_acks(self) -> list[AlertEvent]:
        requests: list[AckRequest] = await self.record.run(alert_rows.take_ack_requests, self.clock.now())
        return await self._apply_acks(requests)

    async def _apply_acks(self, requests: Sequence[AckRequest]) -> list[AlertEvent]:
        now = self.clock.now()
        applied: list[AlertEvent] = []
        for req in requests:
            alert = self._state.by_id(req.alert_id)
            # Acknowledged at the level the trader saw: an escalation since then still needs attention.
            if alert is None or alert.level.rank > req.level.rank:
                continue
            if req.action == "snooze" and req.until is not None:
                seconds = (from_ts(req.until) - now).total_seconds()
                if seconds <= 0:
                    continue
                state, events = engine.snooze(self._state, req.alert_id, seconds, now, self.options)
            else:
                state, events = engine.ack(self._state, req.alert_id, now, self.options)
            # The command line already logged these events; store the alert's state only.
            await self._commit(state, events, logged_elsewhere=True)
            applied.extend(events)
        return applied

    # --- storing, then delivering ----------------------------------------------------------------------
    async def _commit(self, state: AlertState, events: Sequence[AlertEvent], *, logged_elsewhere: bool = False) -> None:
        """Show the new state at once and queue its write; the write lands in order, retried until it does
        (``Record``), with the outbox rows of its webhooks, so an alert raised while the database is locked
        is recorded and sent once it is writable again. While the record is healthy the write is waited
        for (a moment at most), so immediate deliveries carry the log id."""
        saved: asyncio.Future[list[int]] | None = None
        late: list[LateEvent] = []
        sender = self.sender
        own, shared = self._shared.split(events)
        if own:
            if sender is not None and not logged_elsewhere:
                # Should the write be late, these events' webhooks go out from memory (``late.py``).
                late = [LateEvent(e, i, lambda: sender.clock.now().timestamp())
                        for i, e in enumerate(own) if self._outbox_for(e)]
            saved = self.record.submit(save_tracking, own, late, outbox_for=self._outbox_for,
                                       log=not logged_elsewhere)
            saved.add_done_callback(self._saved)
        # A restored alert's events: written unless another process cleared it first (``shared_alerts``);
        # their webhooks wait for the record (sent from memory, they could go out from both processes).
        conditional = [(group, self.record.submit(save_if_active, group, outbox_for=self._outbox_for,
                                                  log=not logged_elsewhere)) for group in shared]
        for group, future in conditional:
            future.add_done_callback(functools.partial(self._saved_shared, group[0].alert_id))
        self._state = state
        if events:
            for listen in self.on_events:
                listen(events)
        for event in events:
            if event.kind is EventKind.ACKNOWLEDGED:
                for listener in self.on_acknowledged:
                    listener(event.alert)
        writes: list[tuple[list[AlertEvent], asyncio.Future[Any]]] = [(own, saved)] if saved is not None else []
        writes += conditional
        if not writes:
            return
        await self._settle(*(f for _, f in writes))
        if late and sender is not None and saved is not None and not saved.done():
            sender.send_late(saved, late)
        if logged_elsewhere:
            return
        log_id: dict[int, int] = {}
        for group, future in writes:
            landed = future.done() and not future.cancelled() and future.exception() is None
            ids = future.result() if landed else []
            if landed and ids is None:
                continue  # cleared by another process first: it tells the trader, not this one
            for i, e in enumerate(group):
                log_id[id(e)] = ids[i] if ids is not None and i < len(ids) else 0
        to_send = [(e, log_id[id(e)]) for e in events if e.notify and id(e) in log_id]
        if to_send:
            await self._deliver_now(to_send)

    async def _settle(self, *futures: asyncio.Future[Any]) -> None:
        wait_s = self.write_wait_s
        if self._wait_until is not None:
            wait_s = max(0.0, self._wait_until - asyncio.get_running_loop().time())
        await self.record.settle(futures, wait_s)

    def _saved_shared(self, alert_id: str, saved: asyncio.Future[list[int] | None]) -> None:
        if not saved.cancelled() and saved.exception() is None and saved.result() is None:
            log.info("alerts: alert %s was cleared by another process first; not recorded twice", alert_id)
            self._shared.taken_elsewhere.add(alert_id)
            return
        self._saved(saved)

    def _saved(self, saved: asyncio.Future[Any]) -> None:
        if saved.cancelled():
            return
        if saved.exception() is not None:
            return  # dropped (a full queue, a write that can never land): the record counted and logged it
        if self.sender is not None:
            self.sender.wake()  # its outbox rows are in: send them now

    @property
    def record_status(self) -> str:
        """``ok``, or ``unavailable: <reason>`` while writes are waiting to land."""
        return self.record.health.text

    def _outbox_for(self, event: AlertEvent) -> list[tuple[str, Callable[[int], str]]]:
        if not event.notify:
            return []
        def payload(log_id: int) -> str:
            return Notification.from_event(event, log_id).to_json()

        return [(w.name, payload) for w in self.deliveries.webhooks if w.accepts(event.level)]

    async def _deliver_now(self, items: list[tuple[AlertEvent, int]]) -> None:
        for event, log_id in items:
            n = Notification.from_event(event, log_id)
            for channel in self.deliveries.immediate:
                if channel.slow:
                    # A subprocess may take a moment: never hold up evaluation for it.
                    task = asyncio.create_task(self._deliver_one(channel, n))
                    self._background.add(task)
                    task.add_done_callback(self._background.discard)
                else:
                    await self._deliver_one(channel, n)

    async def _deliver_one(self, channel: ImmediateSender, n: Notification) -> None:
        try:
            sent = await channel.deliver(n)
        except DeliveryError as exc:
            log.warning("%s: alert %s not delivered: %s", channel.name, n.alert_id, exc)
            return
        if sent:
            self.record.submit(alert_rows.log_delivery, n.alert_id, channel.name, n.level, self.clock.now())

    async def flush(self, timeout_s: float = 10.0) -> None:
        """Wait for background deliveries (desktop notifications) to finish."""
        if self._background:
            async with asyncio.timeout(timeout_s):
                await asyncio.gather(*self._background, return_exceptions=True)


def _time_prefix() -> str:
    """An id prefix without the database's run counter: ``t`` + base 36 of the time and of the pid, unlike
    any counter's, and unlike another process's started in the same second (the app and a ``check --watch``
    started together on a locked record) or on a clock stepped back onto an earlier run's second."""
    return f"t{_base36(int(time.time()))}{_base36(os.getpid())}"


def _base36(n: int) -> str:
    digits = ""
    while n:
        n, r = divmod(n, 36)
        digits = "0123456789abcdefghijklmnopqrstuvwxyz"[r] + digits
    return digits or "0"
