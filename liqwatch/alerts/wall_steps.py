"""Steps of the wall clock (NTP correcting a drifted clock, a VM restored, the time set by hand), followed by
the alert state so that its durations keep their length: a snooze ends after the time asked for, a webhook
reminder comes every ``resend_critical_s``, a close waits its grace period, however the wall clock moved.

Durations are measured on the monotonic clock: each snapshot carries both readings of its clock (``time`` and
``monotonic``), and between two evaluations the wall advance minus the monotonic advance is the step. Past
``STEP_S`` every deadline and start of a duration held in memory moves by the step, so it keeps its distance
from "now" on the new wall clock. Stored times stay wall-clock UTC (shown, and written to the record, as on
the clock now); what happened before the step (raised, acknowledged, the log's times) is left as it was.

A suspend is such a step too (Linux's monotonic clock does not count it): a snooze is then held for the
time the machine was awake, which is the time the trader could have been told.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import TypeVar

from liqwatch.alerts.model import Alert, AlertState, Cleared
from liqwatch.alerts.position_activity import ActivityState
from liqwatch.store import MonitorSnapshot

#: Below this, a difference is the time between the two readings of a snapshot, or the clock's slewing.
STEP_S = 2.0

K = TypeVar("K")


def follow(state: AlertState, snapshot: MonitorSnapshot) -> AlertState:
    """``state`` with its durations moved by the wall-clock step since the last snapshot evaluated (if any),
    and this snapshot's readings kept for the next one."""
    if snapshot.monotonic is None:
        return state
    ref = state.clock_ref
    here = (snapshot.time, snapshot.monotonic)
    if ref is not None:
        step = (snapshot.time - ref[0]).total_seconds() - (snapshot.monotonic - ref[1])
        if abs(step) > STEP_S:
            state = shift(state, timedelta(seconds=step))
    return replace(state, clock_ref=here)


def _opt(t: datetime | None, by: timedelta) -> datetime | None:
    return None if t is None else t + by


def _times(m: Mapping[K, datetime], by: timedelta) -> Mapping[K, datetime]:
    return MappingProxyType({k: t + by for k, t in m.items()})


def _alert(a: Alert, by: timedelta) -> Alert:
    return replace(a, snoozed_until=_opt(a.snoozed_until, by), below_announced_since=_opt(a.below_announced_since, by))


def _activity(s: ActivityState | None, by: timedelta) -> ActivityState | None:
    if s is None:
        return None
    return replace(s, pending=tuple(replace(p, since=p.since + by) for p in s.pending), forced=_times(s.forced, by))


def shift(state: AlertState, by: timedelta) -> AlertState:
    """Every deadline and start of a duration in ``state`` moved by ``by``."""
    return replace(
        state,
        active=MappingProxyType({k: _alert(a, by) for k, a in state.active.items()}),
        recent=MappingProxyType({k: Cleared(c.alert, c.cleared_at + by) for k, c in state.recent.items()}),
        not_live_since=_times(state.not_live_since, by),
        last_sent=_times(state.last_sent, by),
        activity=_activity(state.activity, by),
    )
