"""How the engine loop (liqwatch.monitor_engine) paces itself: the build budget, and which snapshots the
alerts must judge at once.

The budget keeps builds to ``share`` of one core under a flood of frames. It charges each build's CPU time
(``time.thread_time``: a build preempted by another process costs the loop nothing) against a credit that
refills at ``share`` per second of real time, up to ``burst_s`` (so a quiet market builds at once on the
next frame). A build that overdraws it holds the next build triggered by a change back until the credit is
back at zero, but never longer than ``max_hold_s`` (the poll interval): the debt is bounded, so one slow
build (a swapped-out page, a stall) cannot silence the engine for seconds. Builds due by time (freshness,
a channel reaching its limit) are never held back (the engine does not ask).

``settle_heap``: the long-running front ends (the App, ``demo``, ``check --watch``) call it once the engine's
first snapshot is out, so the collector's full passes no longer walk what lives for the whole run.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from liqwatch.read_model import AccountView, MonitorSnapshot

SHARE = 0.10  # of one core, at most, for builds under a flood of changes
BURST_S = 0.05  # CPU seconds of credit a quiet loop saves up: builds at once after quiet


def settle_heap() -> int:
    """Collect, then move every object alive now (the modules, Textual's included, the configuration, the
    monitor's bootstrap) to the collector's permanent generation; the number of objects frozen.

    Why: a full (oldest-generation) collection walks every tracked object, and it runs on the event loop,
    between a frame and its alert: with the App's modules loaded (~78 000 objects) one takes ~50 ms, 25 times
    the tick-to-alert goal. Frozen objects are never walked again; they are still freed as usual when their
    last reference goes (a cycle among them only stays until exit), and freezing allocates nothing."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()


class BuildBudget:
    def __init__(self, max_hold_s: float, *, share: float = SHARE, burst_s: float = BURST_S,
                 cpu: Callable[[], float] = time.thread_time, clock: Callable[[], float] = time.monotonic) -> None:
        if not (0 < share <= 1 and burst_s >= 0 and max_hold_s > 0):
            raise ValueError("build budget: 0 < share <= 1, burst_s >= 0 and max_hold_s > 0")
        self.share, self.burst_s, self.max_hold_s = share, burst_s, max_hold_s
        self.cpu, self.clock = cpu, clock
        self.credit = burst_s
        self._at = clock()
        self.held = 0  # builds held back (counted for tests and the benchmark)

    def _refill(self) -> None:
        now = self.clock()
        self.credit = min(self.burst_s, self.credit + max(0.0, now - self._at) * self.share)
        self._at = now

    def charge(self, cpu_s: float) -> None:
        """A build took ``cpu_s`` of CPU: the debt it leaves is bounded by ``max_hold_s`` of refill."""
        self._refill()
        self.credit = max(-self.max_hold_s * self.share, self.credit - max(0.0, cpu_s))

    def hold_s(self) -> float:
        """How long a build triggered by a change should wait for its credit (0: build now; never more
        than ``max_hold_s``)."""
        self._refill()
        return 0.0 if self.credit >= 0 else min(self.max_hold_s, -self.credit / self.share)


def _alert_face(v: AccountView) -> tuple[object, ...]:
    """What of an account view the alerts react to beyond its figures' small moves: levels, freshness,
    feeds' states, positions held, events."""
    return (v.status, v.danger, v.fresh, v.feeds_live, v.synced, v.held_levels,
            tuple((f.channel, f.state) for f in v.feeds),
            tuple((p.risk.symbol, p.risk.side, p.risk.size, p.fresh, p.status) for p in v.positions),
            v.unevaluated, v.liquidations, v.exchange_events, v.rest_pause, v.clock_offset_s,
            v.disabled_reason, v.mode_not_modelled, v.warnings)


def alert_relevant(before: MonitorSnapshot | None, after: MonitorSnapshot) -> bool:
    """``after`` moved something the alerts must judge at once (danger levels, status, freshness, feeds,
    positions, events) since ``before``, the last snapshot handed to them."""
    if before is None or len(before.accounts) != len(after.accounts):
        return True
    if (before.status, before.all_live, before.events_total, before.loop_lag_s is None) != (
            after.status, after.all_live, after.events_total, after.loop_lag_s is None):
        return True
    old = {v.name: v for v in before.accounts}
    for v in after.accounts:
        prev = old.get(v.name)
        if prev is None:
            return True
        if prev is not v and _alert_face(prev) != _alert_face(v):
            return True
    return False
