"""Sends the outbox: claims due rows (with a lease), posts them, and records the outcome.

A row is marked delivered only after the receiver answered 2xx, and the claim's lease keeps a second
process from sending it meanwhile; so each notification reaches a receiver once, except if this process
dies in the instant between the receiver's answer and the database write (the payload's ``id`` lets a
receiver drop that duplicate). Failures are retried with exponential backoff until the webhook's
``retry_for_s`` runs out. An outcome (delivered, retry later, given up) is queued on the ``Record``, retried
until it lands: a lock at that moment never loses it, and the row is not claimed again meanwhile.
The webhooks of an event whose write is late are sent from memory (``send_late``, ``late.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from types import TracebackType
from typing import Any

import aiohttp

from liqwatch.alerts.delivery import outbox
from liqwatch.alerts.delivery.late import LATE_AFTER_S, LateEvent, late_outcome
from liqwatch.alerts.delivery.notification import Notification
from liqwatch.alerts.delivery.outbox import OutboxRow
from liqwatch.alerts.delivery.webhooks import PermanentError, RetryableError, WebhookChannel
from liqwatch.clock import Clock, SystemClock
from liqwatch.storage.async_db import AsyncDatabase
from liqwatch.storage.record import Record

log = logging.getLogger(__name__)


class OutboxSender:
    def __init__(
        self,
        db: AsyncDatabase | Record,
        channels: Sequence[WebhookChannel],
        *,
        clock: Clock | None = None,
        backoff_base_s: float = 2.0,
        backoff_max_s: float = 300.0,
        poll_s: float = 5.0,
        session: aiohttp.ClientSession | None = None,
    ) -> None:
        self.db = db
        self.channels = {c.name: c for c in channels}
        self.clock = clock or SystemClock()
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.poll_s = poll_s
        self.lease_s = max((c.timeout_s for c in channels), default=10.0) + 10.0
        self._session = session
        self._own_session = session is None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._outcomes: set[int] = set()  # rows whose outcome is queued, not yet written: never re-claimed
        self._late: set[asyncio.Task[None]] = set()
        self.late_after_s = LATE_AFTER_S
        self.sent = 0

    # --- lifecycle ---------------------------------------------------------------------------------------
    async def __aenter__(self) -> OutboxSender:
        self.start()
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()

    def start(self) -> None:
        if self._task is None and self.channels:
            self._task = asyncio.create_task(self._run(), name="liqwatch:outbox")

    async def stop(self) -> None:
        for task in list(self._late):
            task.cancel()
        if self._late:
            await asyncio.gather(*self._late, return_exceptions=True)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._session is not None and self._own_session:
            await self._session.close()
            self._session = None

    def wake(self) -> None:
        """New rows were written: look now instead of at the next poll."""
        self._wake.set()

    # --- events whose write is late ------------------------------------------------------------------
    def send_late(self, saved: asyncio.Future[list[int]], items: Sequence[LateEvent]) -> None:
        """``saved``: the write of these events, not landed yet. If it still has not in ``late_after_s``,
        their webhooks go out from memory (a critical alert must not wait for a full disk to be fixed)."""
        if not items or not self.channels or not isinstance(self.db, Record):
            return
        task = asyncio.get_running_loop().create_task(self._send_late(saved, items), name="liqwatch:late")
        self._late.add(task)
        task.add_done_callback(self._late.discard)

    async def _send_late(self, saved: asyncio.Future[list[int]], items: Sequence[LateEvent]) -> None:
        await asyncio.wait([saved], timeout=self.late_after_s)
        for item in items:
            took = item.take()
            while took is None:  # its write is committing at this instant
                await asyncio.wait([saved], timeout=0.02)
                took = item.take()
            if not took:
                continue  # the write landed: the outbox sends them
            channels = [c for c in self.channels.values() if c.accepts(item.event.level)]
            log.warning("webhook: the record has not saved alert %s yet; sending its %s from memory",
                        item.event.alert_id, ", ".join(c.name for c in channels))
            await asyncio.gather(*(self._send_from_memory(c, saved, item) for c in channels))

    async def _send_from_memory(self, channel: WebhookChannel, saved: asyncio.Future[list[int]],
                                item: LateEvent) -> None:
        event = item.event
        # No log id yet: an id of its own, stable for this send (it is never sent again from the outbox).
        n = replace(Notification.from_event(event, 0), id=f"{event.alert_id}@{int(event.time.timestamp() * 1000)}")
        attempts = 0
        while True:
            if not channel.limiter.allow(channel.monotonic()):
                await asyncio.sleep(max(0.2, channel.limiter.wait_s(channel.monotonic())))
                continue
            try:
                await channel.send(self._get_session(), n)
            except RetryableError as exc:
                attempts += 1
                now = self._now()
                delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** min(attempts, 30))
                if now + delay - event.time.timestamp() > channel.retry_for_s:
                    log.warning("webhook %s: alert %s gave up after %d attempts: %s", channel.name, n.alert_id,
                                attempts, exc)
                    self._late_result(saved, item, channel, outbox.mark_failed, now,
                                      f"gave up after {attempts} attempts: {exc}", n.level.value)
                    return
                if saved.done():  # the row is in the record now: the outbox retries it
                    self._late_result(saved, item, channel, outbox.reschedule, now + delay, str(exc))
                    return
                await asyncio.sleep(delay)
                continue
            except PermanentError as exc:
                log.warning("webhook %s: alert %s refused (%s); not retried", channel.name, n.alert_id, exc)
                self._late_result(saved, item, channel, outbox.mark_failed, self._now(), str(exc), n.level.value)
                return
            self.sent += 1
            self._late_result(saved, item, channel, outbox.mark_delivered, self._now(), n.level.value)
            return

    def _late_result(self, saved: asyncio.Future[list[int]], item: LateEvent, channel: WebhookChannel,
                     fn: Callable[..., None], *args: Any) -> None:
        """Queued behind the event's write: marks the row it inserted (under a lease no sender claims)."""
        assert isinstance(self.db, Record)

        def log_ids() -> list[int] | None:
            ok = saved.done() and not saved.cancelled() and saved.exception() is None
            return saved.result() if ok else None

        done = self.db.submit(late_outcome, log_ids, item.index, channel.name, fn, *args)
        done.add_done_callback(lambda f: f.cancelled() or f.exception())

    # --- work --------------------------------------------------------------------------------------------
    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _get_session(self) -> aiohttp.ClientSession:
        if self._session is None:
            # trust_env off: a proxy from the environment would see every alert (and a URL's secret path).
            self._session = aiohttp.ClientSession(trust_env=False)
        return self._session

    async def run_once(self) -> int:
        """Send what is due now; returns how many rows were attempted."""
        rows = await self.db.run(outbox.claim_due, self._now(), self.lease_s, list(self.channels),
                                 exclude=tuple(self._outcomes))
        by_channel: dict[str, list[OutboxRow]] = {}
        for row in rows:
            by_channel.setdefault(row.channel, []).append(row)
        # Channels in parallel (a slow one does not hold up the others); rows of one channel in order.
        await asyncio.gather(*(self._send_rows(self.channels[name], rs) for name, rs in by_channel.items()))
        return len(rows)

    async def _send_rows(self, channel: WebhookChannel, rows: list[OutboxRow]) -> None:
        for row in rows:
            # The claim's lease may have run out while the rows before this one were sent (a slow
            # receiver): renew it, and skip the row if another process has claimed it meanwhile.
            renewed = await self.db.run(outbox.renew_lease, row, self._now(), self.lease_s)
            if renewed is None:
                log.info("webhook %s: alert %s claimed by another process; not sent twice", channel.name,
                         row.alert_id)
                continue
            await self._send_row(channel, renewed)

    async def _send_row(self, channel: WebhookChannel, row: OutboxRow) -> None:
        n = Notification.from_json(row.payload)
        now = self._now()
        if now - row.created_at > channel.retry_for_s:
            # Past its retry window (liqwatch was off, or the channel was unconfigured): yesterday's
            # "liquidation imminent" must not arrive today as if it were news.
            message = f"expired unsent after {now - row.created_at:.0f} s"
            log.warning("webhook %s: alert %s %s", channel.name, row.alert_id, message)
            await self._outcome(outbox.mark_failed, row, now, message, n.level.value)
            return
        wait = channel.limiter.wait_s(channel.monotonic())
        if wait > 0 or not channel.limiter.allow(channel.monotonic()):
            await self._outcome(outbox.reschedule, row, now + max(wait, 1.0), None, attempted=False)
            return
        try:
            await channel.send(self._get_session(), n)
        except RetryableError as exc:
            await self._retry_or_give_up(channel, row, n, str(exc), exc.retry_after_s)
            return
        except PermanentError as exc:
            log.warning("webhook %s: alert %s refused (%s); not retried", channel.name, row.alert_id, exc)
            await self._outcome(outbox.mark_failed, row, self._now(), str(exc), n.level.value)
            return
        self.sent += 1
        await self._outcome(outbox.mark_delivered, row, self._now(), n.level.value)

    async def _retry_or_give_up(self, channel: WebhookChannel, row: OutboxRow, n: Notification, error: str,
                                retry_after_s: float | None) -> None:
        now = self._now()
        delay = min(self.backoff_max_s, self.backoff_base_s * 2 ** min(row.attempts, 30))
        if retry_after_s is not None:
            delay = min(self.backoff_max_s, max(delay, retry_after_s))
        if now + delay - row.created_at > channel.retry_for_s:
            message = f"gave up after {row.attempts + 1} attempts: {error}"
            log.warning("webhook %s: alert %s %s", channel.name, row.alert_id, message)
            await self._outcome(outbox.mark_failed, row, now, message, n.level.value)
            return
        log.info("webhook %s: alert %s not delivered (%s); retry in %.1f s", channel.name, row.alert_id, error, delay)
        await self._outcome(outbox.reschedule, row, now + delay, error)

    async def _outcome(self, fn: Callable[..., None], row: OutboxRow, *args: Any, **kwargs: Any) -> None:
        """Record what became of ``row``: queued on the record (in order, retried until it lands), and the
        row kept from being claimed again until it has, so a lock at this moment never sends it twice."""
        if not isinstance(self.db, Record):
            await self.db.run(fn, row, *args, **kwargs)
            return
        self._outcomes.add(row.id)
        done = self.db.submit(fn, row, *args, **kwargs)

        def landed(f: asyncio.Future[Any]) -> None:
            self._outcomes.discard(row.id)
            if not f.cancelled() and f.exception() is not None:
                log.error("webhook: the outcome of alert %s's row was not recorded: %s", row.alert_id, f.exception())

        done.add_done_callback(landed)

    async def _run(self) -> None:
        names = list(self.channels)
        while True:
            self._wake.clear()
            delay = self.poll_s
            try:
                await self.run_once()
                due = await self.db.run(outbox.next_due, names)
                if due is not None:
                    delay = min(self.poll_s, max(0.0, due - self._now()))
            except Exception:
                # The sender must outlive a locked or full database; the rows wait for the next round.
                log.exception("outbox: sending failed; retrying in %.0f s", self.poll_s)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()
