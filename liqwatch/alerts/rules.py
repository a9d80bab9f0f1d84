"""What a snapshot says about each alert condition: one ``Observation`` per key, with its new level.

Levels come from ladders with hysteresis, so the current level of each alert is an input. Values from
data that is not fresh are not used (the config promises it): such observations are ``frozen`` and hold
the alert as it is; the stale-feed rule reports the blindness itself.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from liqwatch import danger
from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts import messages
from liqwatch.alerts.memo import EvaluationMemo, Held
from liqwatch.alerts.model import AlertKey, AlertState
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import EngineOptions, ThresholdMap
from liqwatch.level_ladders import Ladder, rising
from liqwatch.loop_lag import LAG_THRESHOLD_S
from liqwatch.rest_pause import PauseKind
from liqwatch.store import AccountView, MonitorSnapshot

_RISKY_RULES = (AlertRule.RISK, AlertRule.DISTANCE_PCT, AlertRule.DISTANCE_SIGMA)


@dataclass(frozen=True, slots=True)
class Observation:
    key: AlertKey
    level: AlertLevel | None
    value: float | None
    threshold: float | None
    message: str
    frozen: bool = False


@dataclass(slots=True)
class Observed:
    observations: list[Observation] = field(default_factory=list)
    frozen_accounts: set[str] = field(default_factory=set)  # present, but without fresh data
    not_live_since: dict[tuple[str, str], datetime] = field(default_factory=dict)


def observe(
    state: AlertState,
    snapshot: MonitorSnapshot,
    thresholds: ThresholdMap,
    now: datetime,
    skew_s: Mapping[str, float] | None,
    options: EngineOptions,
    memo: EvaluationMemo | None = None,
) -> Observed:
    """``memo``: an account whose view, thresholds and held levels are those of the last call has the
    observations of then (liqwatch.alerts.memo): the same result, without judging it again."""
    out = Observed()
    held_by: dict[str, list[tuple[AlertKey, AlertLevel]]] = {}
    if memo is not None:
        for key, alert in state.active.items():
            held_by.setdefault(key.account, []).append((key, alert.level))
    for acc in snapshot.accounts:
        t = thresholds.for_account(acc.name)
        if acc.risk is None or not (acc.fresh or acc.feeds_live):
            out.frozen_accounts.add(acc.name)
            continue
        if memo is None:
            _account_rules(out, state, acc, t, options)
            continue
        held: Held = tuple(sorted(held_by.get(acc.name, ())))
        cached = memo.observations(acc, t, options, held)
        if cached is None:
            start = len(out.observations)
            _account_rules(out, state, acc, t, options)
            memo.keep(acc, t, options, held, tuple(out.observations[start:]))
        else:
            out.observations.extend(cached)
    _stale_feeds(out, state, snapshot, thresholds, now)
    _loop_lag(out, snapshot)
    _bans(out, snapshot)
    if skew_s is None:  # the offsets the feeds measured at their last reconciliation
        skew_s = {a.name: -a.clock_offset_s for a in snapshot.accounts if a.clock_offset_s is not None}
    for name, skew in sorted(skew_s.items()):
        ladder = rising([(AlertLevel.WARNING, options.clock_skew_warning_s),
                         (AlertLevel.CRITICAL, options.clock_skew_critical_s)])
        _ladder(out, state, AlertKey(name, AlertRule.CLOCK_SKEW), ladder, abs(skew), messages.skew, shown=skew)
    return out


def _current(state: AlertState, key: AlertKey) -> AlertLevel | None:
    alert = state.active.get(key)
    return alert.level if alert is not None else None


def _ladder(
    out: Observed,
    state: AlertState,
    key: AlertKey,
    ladder: Ladder,
    value: float | None,
    describe: messages.Describe,
    *,
    frozen: bool = False,
    forced: AlertLevel | None = None,
    shown: float | None = None,
) -> None:
    if ladder.empty and forced is None:
        return
    if frozen:
        out.observations.append(Observation(key, None, value, None, "", frozen=True))
        return
    if forced is not None:
        level: AlertLevel | None = forced
    elif value is None or not math.isfinite(value):
        level = None
    else:
        level = ladder.level_for(value, _current(state, key))
    threshold = ladder.threshold_of(level) if level is not None else None
    display = shown if shown is not None else value
    out.observations.append(Observation(key, level, display, threshold, describe(key, level, display, threshold)))


def _account_rules(out: Observed, state: AlertState, acc: AccountView, t: AlertThresholds,
                   options: EngineOptions) -> None:
    risk = acc.risk
    assert risk is not None

    def held(rule: AlertRule, subject: str) -> AlertLevel | None:
        return _current(state, AlertKey(acc.name, rule, subject))

    # The levels are the store's status's (one definition of danger); the alerts hold their own.
    assessment = danger.assess(risk, t, held)
    fresh = {danger.subject_of(p.risk): p.fresh for p in acc.positions}
    for r in assessment.readings:
        # The account's own figures lack a not-evaluated position's margin and PnL (``acc.fresh`` False),
        # a cross position's too (its ``fresh`` False): held, as for stale data.
        frozen = not fresh.get(r.subject, False) if r.subject != "" else not acc.fresh
        _observe(out, AlertKey(acc.name, r.rule, r.subject), r, frozen=frozen or r.held)
    # A position not evaluated has no reading: its alerts are held, never cleared as gone.
    missing = {danger.subject_of(u) for u in acc.unevaluated}
    for key in state.active:
        if key.account == acc.name and key.subject in missing and key.rule in _RISKY_RULES:
            out.observations.append(Observation(key, None, None, None, "", frozen=True))

    if t.funding_cost_per_day is not None:
        # Per position, at its symbol's own interval (a 4 h symbol settles six times a day, not three).
        flows = [p.next_funding * options.settlements_per_day(acc.exchange, p.funding_interval_hours)
                 for p in acc.positions if p.next_funding is not None]
        cost = -math.fsum(flows) if flows else 0.0
        ladder = rising([(AlertLevel.WARNING, t.funding_cost_per_day)])
        _ladder(out, state, AlertKey(acc.name, AlertRule.FUNDING_COST), ladder, cost, messages.funding)


_DESCRIBE: dict[AlertRule, messages.Describe] = {
    AlertRule.RISK: messages.risk,
    AlertRule.DISTANCE_PCT: messages.distance_pct,
    AlertRule.DISTANCE_SIGMA: messages.distance_sigma,
}


def _observe(out: Observed, key: AlertKey, r: danger.Reading, *, frozen: bool) -> None:
    if frozen:
        out.observations.append(Observation(key, None, r.value, None, "", frozen=True))
        return
    message = _DESCRIBE[r.rule](key, r.level, r.value, r.threshold)
    out.observations.append(Observation(key, r.level, r.value, r.threshold, message))


def _bans(out: Observed, snapshot: MonitorSnapshot) -> None:
    """An IP ban raises its own alert at once (not after ``stale_feed_s``), with the ban's end; it clears
    when the ban ends. Whether the account's data is fresh does not matter: the ban is why it is not."""
    for acc in snapshot.accounts:
        key = AlertKey(acc.name, AlertRule.IP_BANNED, str(acc.exchange))
        pause = acc.rest_pause
        if pause is not None and pause.kind is PauseKind.BANNED:
            out.observations.append(Observation(key, AlertLevel.CRITICAL, None, None,
                                                messages.banned(key, pause.describe(acc.exchange))))
        else:
            out.observations.append(Observation(key, None, None, None, messages.ban_lifted(key)))


def _stale_feeds(out: Observed, state: AlertState, snapshot: MonitorSnapshot, thresholds: ThresholdMap,
                 now: datetime) -> None:
    risky = {k.account for k in state.active if k.rule in _RISKY_RULES}
    for feed in snapshot.feeds:
        key = AlertKey(feed.account, AlertRule.STALE_FEED, feed.channel)
        limit = thresholds.for_account(feed.account).stale_feed_s
        if feed.live:
            out.observations.append(Observation(key, None, 0.0, limit, messages.stale(key, None, 0.0, limit)))
            continue
        since = state.not_live_since.get((feed.account, feed.channel), now)
        out.not_live_since[(feed.account, feed.channel)] = since
        blind_s = max((now - since).total_seconds(), feed.age_s or 0.0)
        level: AlertLevel | None = None
        if blind_s >= limit:
            # Blind on an account that was already at risk: what we cannot see may be a liquidation.
            level = AlertLevel.CRITICAL if feed.account in risky else AlertLevel.WARNING
        detail = f"{feed.state.value.lower()}{': ' + feed.detail if feed.detail else ''}"
        if feed.last_error and feed.last_error not in feed.detail:
            # The cause, not only the step under way ("syncing: REST resync"): why it is not live.
            detail += f"; last error: {feed.last_error}"
        out.observations.append(
            Observation(key, level, blind_s, limit, messages.stale(key, level, blind_s, limit, detail))
        )


#: The monitor's own health, not an account's: no account name.
LOOP_LAG_KEY = AlertKey("", AlertRule.LOOP_LAG, "event loop")


def _loop_lag(out: Observed, snapshot: MonitorSnapshot) -> None:
    """A stall of the event loop, with its measured lag, while the snapshot reports it; cleared after."""
    lag = snapshot.loop_lag_s
    level = AlertLevel.WARNING if lag is not None else None
    out.observations.append(Observation(LOOP_LAG_KEY, level, lag, LAG_THRESHOLD_S,
                                        messages.loop_lag(LOOP_LAG_KEY, level, lag, LAG_THRESHOLD_S)))
