"""Taking over the alerts an earlier run left active, when the record could not be read at start (locked by
another process, not openable yet): they are read once it can be, and merged into the running state so
that nothing is shown twice and nothing stays active in the record forever."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from types import MappingProxyType

from liqwatch.alerts.model import Alert, AlertEvent, AlertState, EventKind


def merge_earlier(state: AlertState, earlier: Sequence[Alert], now: datetime) -> tuple[AlertState, list[AlertEvent]]:
    """``earlier``: the alerts active in the record. One this run already holds (by id) is skipped. One whose
    key this run has not raised is adopted, as a start on a readable record would have restored it: the
    engine clears it as usual once its condition is gone. One whose key this run raised meanwhile (the
    trader has seen that one) is closed in the record as superseded by it: a "cleared" event that is
    logged, never shown nor sent."""
    active = dict(state.active)
    closes: list[AlertEvent] = []
    for old in earlier:
        if state.by_id(old.id) is not None:
            continue
        mine = active.get(old.key)
        if mine is None:
            active[old.key] = old
            continue
        closed = replace(old, cleared_at=now, updated_at=now)
        closes.append(AlertEvent(EventKind.CLEARED, now, closed, notify=False,
                                 note=f"superseded by alert {mine.id} of a later run", measured=old.value))
    return replace(state, active=MappingProxyType(active)), closes
