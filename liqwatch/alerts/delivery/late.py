"""Webhooks of an event whose write is late (the record locked or the disk full): sent from memory, so a
critical alert reaches the trader's phone whatever the state of the record, and sent exactly once.

Who sends an event's webhooks is decided under a lock shared by the database thread (the event's write) and
the loop (the direct sender): a write that commits first leaves them to the outbox as usual; once the direct
sender has taken them, the write inserts their outbox rows under a lease no sender claims, and the direct
sender's outcome (queued behind that write) marks them delivered, failed, or due again for the outbox."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from liqwatch.alerts import alert_rows
from liqwatch.alerts.delivery import outbox
from liqwatch.alerts.model import AlertEvent
from liqwatch.storage.db import Database

LATE_AFTER_S = 2.0  # how long an event's write may be late before its webhooks go out from memory
DIRECT_LEASE_S = 600.0  # the lease of a row sent from memory, until its outcome (queued behind it) lands

_WAITING, _TENTATIVE, _RECORDED, _DIRECT = "waiting", "tentative", "recorded", "direct"


class LateEvent:
    """One event with webhooks, from its queueing until its write lands or its webhooks are taken."""

    def __init__(self, event: AlertEvent, index: int, now: Callable[[], float]) -> None:
        self.event = event
        self.index = index  # its place in the write: which of the write's log ids is its own
        self._now = now  # the outbox's clock (timestamps), read when the write lands
        self._lock = threading.Lock()
        self._state = _WAITING

    # --- the database thread, inside and after the event's write --------------------------------------
    def lease_in_write(self) -> float | None:
        """The lease for this event's outbox rows: held if the direct sender has them, else None (and
        the rows belong to the outbox once this write commits)."""
        with self._lock:
            if self._state == _DIRECT:
                # From when the write lands (maybe hours after the event): its outcome is right behind it.
                return self._now() + DIRECT_LEASE_S
            self._state = _TENTATIVE
            return None

    def write_ended(self, committed: bool) -> None:
        with self._lock:
            if self._state == _TENTATIVE:
                self._state = _RECORDED if committed else _WAITING

    # --- the loop --------------------------------------------------------------------------------------
    def take(self) -> bool | None:
        """True: the direct sender sends them now; False: the outbox has them; None: a write is committing
        them at this instant (look again in a moment)."""
        with self._lock:
            if self._state == _WAITING:
                self._state = _DIRECT
                return True
            return None if self._state == _TENTATIVE else False


def save_tracking(db: Database, /, events: Sequence[AlertEvent], late: Sequence[LateEvent], **kwargs: Any
                  ) -> list[int]:
    """``alert_rows.save_events`` telling each ``LateEvent`` whether its write committed."""
    by_event = {id(item.event): item for item in late}

    def lease(event: AlertEvent) -> float | None:
        item = by_event.get(id(event))
        return None if item is None else item.lease_in_write()

    try:
        ids = alert_rows.save_events(db, events, leased_for=lease, **kwargs)
    except BaseException:
        for item in late:
            item.write_ended(False)
        raise
    for item in late:
        item.write_ended(True)
    return ids


def late_outcome(db: Database, /, log_ids: Callable[[], list[int] | None], index: int, channel: str,
                 fn: Callable[..., None], *args: Any, **kwargs: Any) -> None:
    """The outcome of a send from memory, applied to the row its event's write inserted (queued behind that
    write); nothing if that write was dropped."""
    ids = log_ids()
    if ids is None or index >= len(ids):
        return
    row = outbox.row_for(db, ids[index], channel)
    if row is not None and row.status == outbox.PENDING:
        fn(db, row, *args, **kwargs)
