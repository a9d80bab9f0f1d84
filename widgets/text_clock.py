"""When the screen's text next changes with time alone.

Every figure the screen derives from the clock is shown to the whole second: the header's clock, each
countdown to a funding settlement (``ceil(settlement - now)``), each alert's age (``int(now - raised)``) and
snooze (``snoozed_until``). Each of them changes only at the instants whose fraction of a second is its
anchor's: its *phase*. Between two such instants the same views give the same text, so a snapshot that brings
nothing new but the time can be left unpainted until the next one (``next_change``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from liqwatch.alerts.model import Alert
from liqwatch.store import AccountView

#: The next change is taken this much early: float rounding can then only cause an extra paint, never a late one.
EARLY_S = 1e-6


def phase(t: datetime) -> float:
    """``t``'s fraction of a second (the clock's own: 0.0)."""
    return t.microsecond / 1e6


def account_phases(a: AccountView) -> frozenset[float]:
    """The phases of the account's countdowns: its positions' settlement times (a settlement computed from the
    interval falls on a whole hour: phase 0)."""
    return frozenset(phase(p.next_funding_time) if p.next_funding_time is not None else 0.0 for p in a.positions)


def alert_phases(alerts: Sequence[Alert]) -> set[float]:
    out = {phase(a.raised_at) for a in alerts}
    out.update(phase(a.snoozed_until) for a in alerts if a.snoozed_until is not None)
    return out


def snooze_phases(alerts: Sequence[Alert]) -> set[float]:
    """The phases of the snoozes' time left: shown rounded down (``fmt.short_age`` of ``until - now``), it
    changes just *after* each instant at its phase (3.0 s left reads 3s, 2.999 s reads 2s), unlike an age
    (rounded down, growing) or a countdown (rounded up) whose new text shows at the instant itself."""
    return {phase(a.snoozed_until) for a in alerts if a.snoozed_until is not None}


def next_change(now: datetime, phases: Iterable[float], after: Iterable[float] = ()) -> float:
    """The epoch time, after ``now``, of the first instant at one of ``phases`` (the clock's 0.0 always counts),
    or of the first instant at or after ``now`` at one of ``after`` (texts that change just after the
    instant: one at ``now`` itself changes right away)."""
    t = now.timestamp()
    frac = phase(now)  # as the phases are taken: an instant at a phase compares equal to it, exactly
    wait = min(((p - frac) % 1.0 or 1.0) for p in {0.0, *phases})
    wait = min([wait, *(((p - frac) % 1.0) for p in after)])
    return t + wait - EARLY_S


class Phases:
    """Each account's phases, kept while its view is the same object."""

    def __init__(self) -> None:
        self._views: dict[str, tuple[AccountView, frozenset[float]]] = {}

    def of(self, accounts: Sequence[AccountView]) -> set[float]:
        out: set[float] = set()
        for a in accounts:
            hit = self._views.get(a.name)
            if hit is None or hit[0] is not a:
                hit = (a, account_phases(a))
                self._views[a.name] = hit
            out |= hit[1]
        if len(self._views) > len(accounts):
            names = {a.name for a in accounts}
            self._views = {k: v for k, v in self._views.items() if k in names}
        return out
