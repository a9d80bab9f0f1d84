"""Turns monitor snapshots into history rows: one equity/margin sample per account per interval, a feed
incident per stale or reconnecting period, the store's incident lines, and every settled funding payment the
exchanges booked (once: keyed by the exchange's payment id). What a snapshot adds is queued on the ``Record``
(retried until it lands): the snapshot loop never waits for the disk. Samples go as a droppable write (a
full queue loses a superseded sample before an alert); incidents, notes and funding as one write that is
not, in order, so the close of an incident never overtakes its open."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from liqwatch.feed_channel import ChannelState
from liqwatch.model import FundingPayment
from liqwatch.risk_events import FeedNote, LoggedEvent
from liqwatch.storage import history
from liqwatch.storage.async_db import AsyncDatabase
from liqwatch.storage.db import Database
from liqwatch.storage.history import Sample
from liqwatch.storage.record import Record
from liqwatch.store import MonitorSnapshot

_INCIDENT_STATES = (ChannelState.STALE, ChannelState.RECONNECTING)


@dataclass(slots=True)
class _Batch:
    time: datetime
    samples: list[Sample] = field(default_factory=list)
    opens: list[tuple[str, str, str, str, datetime]] = field(default_factory=list)  # account, channel, kind,
    # detail, start
    closes: list[tuple[str, str]] = field(default_factory=list)  # account, channel
    notes: list[history.LoggedNote] = field(default_factory=list)
    funding: dict[str, list[FundingPayment]] = field(default_factory=dict)

    def empty(self) -> bool:
        return not (self.samples or self.events())

    def events(self) -> bool:
        return bool(self.opens or self.closes or self.notes or self.funding)


def _write(db: Database, batch: _Batch) -> None:
    # One transaction: a retry after a failure never writes half a batch twice.
    with db.transaction():
        for account, channel in batch.closes:
            # By (account, channel), not by row id: the row may still be queued behind this write.
            history.close_feed_incident(db, account, channel, batch.time)
        for a, c, k, d, started in batch.opens:
            history.open_incident(db, a, c, k, started, d)
        for note in batch.notes:
            history.add_note(db, note.account, batch.time, note.detail, note)
        for account, payments in batch.funding.items():
            history.add_funding(db, account, payments)


def _note(event: LoggedEvent, known_account: bool) -> history.LoggedNote:
    """An event as its row, typed: a risk event keeps its kind and figures, a feed note is a "note" (whatever
    its words say, ``liqwatch history`` never shows it as the exchange's)."""
    account, detail = (event.account, event.text) if known_account else ("", event.line)
    if isinstance(event, FeedNote):
        return history.LoggedNote(account, detail, "note", symbol=event.symbol)
    return history.LoggedNote(account, detail, "exchange", event.kind.value, event.symbol,
                              None if event.side is None else event.side.value, event.size, event.price)


class HistoryRecorder:
    def __init__(self, db: AsyncDatabase | Record, *, interval_s: float = 60.0) -> None:
        if not interval_s > 0:
            raise ValueError("interval_s must be > 0")
        self.db = Record.of(db)
        self.interval_s = interval_s
        self._last_bucket: dict[str, float] = {}
        self._open: set[tuple[str, str]] = set()
        self._events_seen = 0  # the store's event log count (``MonitorSnapshot.events_total``) written
        self._funding_seen: tuple[tuple[str, FundingPayment], ...] = ()
        self._funding_written: set[tuple[str, str]] = set()

    async def start(self, now: datetime) -> None:
        """An earlier run's incidents left open end now (queued: a locked record must not hold the start)."""
        self.db.submit(history.close_open_incidents, now)

    async def on_snapshot(self, snap: MonitorSnapshot) -> None:
        batch = _Batch(snap.time)
        ts = snap.time.timestamp()
        bucket = math.floor(ts / self.interval_s) * self.interval_s
        for acc in snap.accounts:
            r = acc.risk
            if r is None or self._last_bucket.get(acc.name) == bucket:
                continue
            self._last_bucket[acc.name] = bucket
            batch.samples.append(Sample(acc.name, bucket, r.wallet_balance, r.margin_balance, r.maintenance_margin,
                                        r.margin_ratio, r.risk, len(r.positions), acc.fresh,
                                        r.cross_wallet_balance, r.cross_margin_balance))
        for feed in snap.feeds:
            key = (feed.account, feed.channel)
            if feed.state is ChannelState.LIVE and key in self._open:
                self._open.discard(key)
                batch.closes.append(key)
            elif feed.state in _INCIDENT_STATES and key not in self._open:
                self._open.add(key)
                started = snap.time
                if feed.state is ChannelState.STALE and feed.age_s is not None:
                    # It went stale when its data passed the age limit, maybe well before this snapshot.
                    started -= timedelta(seconds=max(0.0, feed.age_s - feed.max_age_s))
                batch.opens.append((feed.account, feed.channel, feed.state.value.lower(), feed.detail, started))
        names = {a.name for a in snap.accounts}
        for event in snap.events_since(self._events_seen):
            batch.notes.append(_note(event, event.account in names))
        self._events_seen = snap.events_total
        # The store hands the same tuple until a payment arrives: comparing identity costs nothing per tick.
        funding_now = snap.funding_payments
        if funding_now is not self._funding_seen:
            for account, p in funding_now:
                if (account, history.payment_key(p)) not in self._funding_written:
                    batch.funding.setdefault(account, []).append(p)
        if batch.empty():
            self._funding_seen = funding_now
            return
        if batch.samples:
            self.db.submit_droppable(history.add_samples, batch.samples)
        if batch.events():
            self.db.submit(_write, batch)
        if funding_now is not self._funding_seen:
            # Only what the store still holds can come again (its ledger is bounded): forget the rest.
            self._funding_written = {(a, history.payment_key(p)) for a, p in funding_now}
            self._funding_seen = funding_now

    async def record_funding(self, account: str, payments: Sequence[FundingPayment]) -> int:
        """Settled funding from a feed (REST page or stream); repeats are ignored. Waits for the write."""
        return await self.db.submit(history.add_funding, account, payments)
