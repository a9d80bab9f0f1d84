"""Pure alert evaluation: ``(AlertState, MonitorSnapshot, thresholds, now) -> (AlertState, [AlertEvent])``,
and the trader's actions on it (acknowledge, snooze), also pure.

Life of an alert: RAISED when a level is reached; ESCALATED when it worsens (sent again only above the
level already announced, or above the level acknowledged or snoozed); DOWNGRADED when it improves past a
hysteresis band (logged only); CLEARED once the value is back past the band of the lowest level. Within
``rearm_s`` of clearing, a return at a level already announced REOPENS the same alert silently, so a
flapping value notifies once. Events that have no value to fall back (exchange risk events) are latched:
they clear when acknowledged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from types import MappingProxyType

from liqwatch.alert_levels import AlertLevel, AlertRule, max_level
from liqwatch.alerts import messages, position_activity, wall_steps
from liqwatch.alerts.memo import EvaluationMemo
from liqwatch.alerts.model import Alert, AlertEvent, AlertKey, AlertState, Cleared, EventKind
from liqwatch.alerts.risk_levels import level_of
from liqwatch.alerts.rules import Observation, observe
from liqwatch.config.thresholds import EngineOptions, ThresholdMap
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.risk_events import LoggedEvent, RiskEvent, RiskEventKind
from liqwatch.store import MonitorSnapshot, supersedes

DEFAULT_OPTIONS = EngineOptions()


class _Builder:
    """A working copy of the state; only ``evaluate`` and the action functions below use it."""

    def __init__(self, state: AlertState, now: datetime, options: EngineOptions) -> None:
        self.base = state
        self.now = now
        self.options = options
        self.active: dict[AlertKey, Alert] = dict(state.active)
        self.recent: dict[AlertKey, Cleared] = dict(state.recent)
        self.seq = state.next_seq
        self.events: list[AlertEvent] = []
        self.sent: dict[str, datetime] = dict(state.last_sent)
        #: Accounts with a liquidation not acknowledged: their other alerts close without an "all clear".
        self.liquidated: dict[str, str] = {}

    def state(
        self,
        not_live_since: Mapping[tuple[str, str], datetime] | None = None,
        events_seen: int | None = None,
    ) -> AlertState:
        return replace(
            self.base,
            active=MappingProxyType(self.active),
            recent=MappingProxyType(self.recent),
            next_seq=self.seq,
            last_sent=MappingProxyType({k: v for k, v in self.sent.items() if k in self._active_ids()}),
            not_live_since=self.base.not_live_since if not_live_since is None else not_live_since,
            events_seen=self.base.events_seen if events_seen is None else events_seen,
        )

    def emit(self, kind: EventKind, alert: Alert, notify: bool, note: str | None = None,
             measured: float | None = None) -> None:
        self.events.append(AlertEvent(kind, self.now, alert, notify, note, measured))
        if notify:
            self.sent[alert.id] = self.now

    def _active_ids(self) -> set[str]:
        return {a.id for a in self.active.values()}

    def _new_id(self) -> str:
        alert_id = f"{self.base.id_prefix}-{self.seq}"
        self.seq += 1
        return alert_id

    # --- conditions --------------------------------------------------------------------------------------
    def observe(self, o: Observation) -> None:
        cur = self.active.get(o.key)
        if o.frozen:
            return
        if o.level is None:
            if cur is not None:
                self.clear(cur, o.value, o.message)
            return
        if cur is None:
            self._raise(o.key, o.level, o.value, o.threshold, o.message)
        elif o.level.rank > cur.level.rank:
            self._escalate(cur, o)
        elif o.level.rank < cur.level.rank:
            below = cur.below_announced_since or self.now
            alert = replace(cur, level=o.level, value=o.value, threshold=o.threshold, message=o.message,
                            updated_at=self.now, below_announced_since=below)
            self.active[o.key] = alert
            self.emit(EventKind.DOWNGRADED, alert, False)
        else:
            # Same level: refresh the figures shown, without an event (nothing the log needs).
            self.active[o.key] = replace(cur, value=o.value, threshold=o.threshold, message=o.message)

    def _raise(self, key: AlertKey, level: AlertLevel, value: float | None, threshold: float | None,
               message: str) -> None:
        recent = self.recent.pop(key, None)
        rearm = timedelta(seconds=self.options.rearm_s)
        if (
            recent is not None
            and not key.rule.latched
            and self.now - recent.cleared_at < rearm
            and level.rank <= recent.alert.announced.rank
        ):
            alert = replace(
                recent.alert, level=level, value=value, threshold=threshold, message=message, updated_at=self.now,
                cleared_at=None, reopened=recent.alert.reopened + 1,
                below_announced_since=self.now if level.rank < recent.alert.announced.rank else None,
            )
            self.active[key] = alert
            self.emit(EventKind.REOPENED, alert, False)
            return
        alert = Alert(self._new_id(), key, level, value, threshold, message, self.now, self.now, announced=level)
        self.active[key] = alert
        self.emit(EventKind.RAISED, alert, True)

    def _escalate(self, cur: Alert, o: Observation) -> None:
        assert o.level is not None
        worse_than_ack = cur.acked_level is not None and o.level.rank > cur.acked_level.rank
        snoozed = cur.snoozed(self.now)
        worse_than_snooze = snoozed and cur.snoozed_level is not None and o.level.rank > cur.snoozed_level.rank
        notify = o.level.rank > cur.announced.rank or worse_than_ack or worse_than_snooze
        announced = max_level(cur.announced, o.level) or o.level
        alert = replace(
            cur, level=o.level, value=o.value, threshold=o.threshold, message=o.message, updated_at=self.now,
            announced=announced,
            below_announced_since=None if o.level.rank >= announced.rank else cur.below_announced_since,
            acked_at=None if worse_than_ack else cur.acked_at,
            acked_level=None if worse_than_ack else cur.acked_level,
            snoozed_until=None if worse_than_snooze else cur.snoozed_until,
            snoozed_level=None if worse_than_snooze else cur.snoozed_level,
        )
        self.active[cur.key] = alert
        self.emit(EventKind.ESCALATED, alert, notify)

    def clear(self, cur: Alert, value: float | None, message: str, *, notify: bool | None = None) -> None:
        # The alert keeps the figures of its last active moment (what the list shows); the event carries
        # the value that cleared it.
        alert = replace(cur, updated_at=self.now, cleared_at=self.now)
        del self.active[cur.key]
        what = self.liquidated.get(cur.key.account)
        if what is not None and not cur.key.rule.latched:
            # Not back to normal: the exchange liquidated it. Closed, superseded by the liquidation's alert.
            notify, message = False, messages.superseded(cur.key, what)
        if not cur.key.rule.latched:
            self.recent[cur.key] = Cleared(alert, self.now)
        if notify is None:
            # "All clear" is worth sending once for a critical alert; a re-opened one already flapped.
            notify = cur.announced.is_critical and cur.reopened == 0
        self.emit(EventKind.CLEARED, alert, notify, message, value)

    def risk_event(self, event: LoggedEvent, account: str, record: LiquidatedPosition | None = None) -> None:
        """``account``: the event's, if the snapshot lists it, else "" (an alert of no account); ``record``:
        the store's current record of a liquidation event (all its slices so far), whose figures the alert
        carries rather than the one slice's."""
        level = level_of(event)
        if level is None:
            return  # a measurement (clock skew): its rule judges it
        key = AlertKey(account, AlertRule.RISK_EVENT, event.subject)
        text = record.describe() if record is not None else event.text
        message = f"{account}: {text}" if account else (event.line if event.account else text)
        cur = self.active.get(key)
        if cur is not None:
            if level.rank > cur.level.rank:
                self._escalate(cur, Observation(key, level, None, None, message))
            elif record is not None and message != cur.message:
                self._update(cur, message, record)
            return  # the same event again while its alert is open: one alert, no spam
        self._raise(key, level, None, None, message)

    def _update(self, cur: Alert, message: str, record: LiquidatedPosition) -> None:
        # A further slice: the alert shows the size taken so far (logged); the final slice, which turns a
        # partial liquidation into a full one, is worth telling again, even if acknowledged or snoozed.
        became_full = not record.partial and "partially liquidated" in cur.message
        alert = replace(cur, message=message, updated_at=self.now)
        if became_full:
            alert = replace(alert, acked_at=None, acked_level=None, snoozed_until=None, snoozed_level=None)
        self.active[cur.key] = alert
        self.emit(EventKind.UPDATED, alert, became_full)

    def activity(self, a: position_activity.Activity) -> None:
        """The trader opened, changed or closed a position: one INFO alert per position, told again (with
        the new text) at each further change while it is not acknowledged."""
        key = AlertKey(a.account, AlertRule.POSITION_ACTIVITY, a.subject)
        message = f"{a.account}: {a.message}"
        cur = self.active.get(key)
        if cur is None:
            self._raise(key, AlertLevel.INFO, None, None, message)
            return
        alert = replace(cur, message=message, updated_at=self.now)
        self.active[key] = alert
        self.emit(EventKind.UPDATED, alert, True)

    def remind(self, every_s: float) -> None:
        """A critical alert neither acknowledged nor snoozed is sent again every ``every_s`` (to the
        webhooks only: the bell repeats itself); the period starts at its last sending, or when this run
        first held it (an alert restored from the database)."""
        if every_s <= 0:
            return
        for _key, alert in sorted(self.active.items()):
            if not alert.needs_attention(self.now):
                continue
            last = self.sent.setdefault(alert.id, self.now)
            if (self.now - last).total_seconds() >= every_s:
                self.emit(EventKind.REMINDED, alert, True)

    # --- time ---------------------------------------------------------------------------------------------
    def tick(self) -> None:
        rearm = timedelta(seconds=self.options.rearm_s)
        for key, alert in list(self.active.items()):
            if alert.snoozed_until is not None and self.now >= alert.snoozed_until:
                alert = replace(alert, snoozed_until=None, snoozed_level=None, updated_at=self.now)
                self.active[key] = alert
                self.emit(EventKind.SNOOZE_ENDED, alert, not alert.acknowledged)
            if (
                alert.below_announced_since is not None
                and alert.level.rank < alert.announced.rank
                and self.now - alert.below_announced_since >= rearm
            ):
                self.active[key] = replace(alert, announced=alert.level, below_announced_since=None)
        for key, cleared in list(self.recent.items()):
            if self.now - cleared.cleared_at >= rearm:
                del self.recent[key]


def evaluate(
    state: AlertState,
    snapshot: MonitorSnapshot,
    thresholds: ThresholdMap,
    now: datetime,
    *,
    skew_s: Mapping[str, float] | None = None,
    risk_events: Sequence[RiskEvent] = (),
    options: EngineOptions = DEFAULT_OPTIONS,
    memo: EvaluationMemo | None = None,
) -> tuple[AlertState, list[AlertEvent]]:
    """The next state and what changed. ``skew_s``: local minus exchange clock per account, when known;
    ``risk_events``: typed events with no store to report to, since the last call (see ``RiskEventQueue``);
    the store's own are in the snapshot's event log (``MonitorSnapshot.events``). ``memo``: what the last
    call judged of each account, reused for those whose view is the same object (liqwatch.alerts.memo)."""
    state = wall_steps.follow(state, snapshot)  # durations keep their length across a wall-clock step
    b = _Builder(state, now, options)
    b.liquidated = {a.name: a.liquidations[-1].describe() for a in snapshot.accounts if a.liquidations}
    observed = observe(state, snapshot, thresholds, now, skew_s, options, memo)
    seen: set[AlertKey] = set()
    for o in sorted(observed.observations, key=lambda o: o.key):
        seen.add(o.key)
        b.observe(o)
    present = {a.name for a in snapshot.accounts}
    for key, alert in sorted(state.active.items()):
        if key in seen or key not in b.active or key.rule.latched:
            continue
        if key.rule is AlertRule.CLOCK_SKEW or key.account in observed.frozen_accounts:
            continue  # no fresh word on it: hold
        # An account no longer in the snapshot (removed from the configuration) has nothing left to watch:
        # its stale-feed alert closes too, or it would stay listed forever.
        b.clear(alert, None, messages.gone(key), notify=False)
    fresh = snapshot.events_since(state.events_seen)
    for event in fresh:
        # An event of an account the snapshot does not list is an alert of no account (its text says whose).
        b.risk_event(event, event.account if event.account in present else "", _record_of(snapshot, event))
    for pushed in risk_events:
        b.risk_event(pushed, pushed.account)
    for acc in snapshot.accounts:
        for liq in acc.liquidations:
            for key, alert in sorted(b.active.items()):
                if key.account == acc.name and key.rule is AlertRule.RISK_EVENT and supersedes(liq, key.subject):
                    b.clear(alert, None, messages.superseded(key, liq.describe()), notify=False)
    activity, moves = position_activity.step(state.activity, snapshot, fresh, now, memo)
    for move in moves:
        b.activity(move)
    b.tick()
    delivery = thresholds.default.delivery
    if any(w.enabled for w in delivery.webhooks):
        b.remind(delivery.resend_critical_s)
    new_state = b.state(
        not_live_since=MappingProxyType(observed.not_live_since), events_seen=snapshot.events_total
    )
    return replace(new_state, activity=activity), b.events


def _record_of(snapshot: MonitorSnapshot, event: LoggedEvent) -> LiquidatedPosition | None:
    """The store's record of a liquidation event, when it still lists it."""
    if not isinstance(event, RiskEvent) or event.kind is not RiskEventKind.LIQUIDATION or event.symbol is None:
        return None
    view = next((a for a in snapshot.accounts if a.name == event.account), None)
    if view is None:
        return None
    return next((r for r in view.liquidations if r.symbol == event.symbol and r.side is event.side), None)


def ack(state: AlertState, alert_id: str, now: datetime,
        options: EngineOptions = DEFAULT_OPTIONS) -> tuple[AlertState, list[AlertEvent]]:
    """Acknowledge: no more noise for this alert at this level; it stays listed until it clears. A latched
    event (margin call, closed while blind) has nothing left to clear, so acknowledging clears it."""
    b = _Builder(state, now, options)
    _ack_one(b, state.by_id(alert_id))
    return b.state(), b.events


def ack_all(state: AlertState, now: datetime,
            options: EngineOptions = DEFAULT_OPTIONS) -> tuple[AlertState, list[AlertEvent]]:
    b = _Builder(state, now, options)
    for alert in state.alerts():
        _ack_one(b, alert)
    return b.state(), b.events


def _ack_one(b: _Builder, alert: Alert | None) -> None:
    if alert is None:
        return
    if alert.acknowledged and not alert.key.rule.latched:
        return
    acked = replace(alert, acked_at=b.now, acked_level=alert.level, snoozed_until=None, snoozed_level=None,
                    updated_at=b.now)
    b.active[alert.key] = acked
    b.emit(EventKind.ACKNOWLEDGED, acked, False)
    if alert.key.rule.latched:
        b.clear(acked, None, acked.message, notify=False)


def snooze(state: AlertState, alert_id: str, seconds: float, now: datetime,
           options: EngineOptions = DEFAULT_OPTIONS) -> tuple[AlertState, list[AlertEvent]]:
    """Quiet for ``seconds``; sent again if the level worsens meanwhile, and reminded when the time is up."""
    if not seconds > 0:
        raise ValueError("snooze needs a positive duration")
    b = _Builder(state, now, options)
    alert = state.by_id(alert_id)
    if alert is not None:
        snoozed = replace(alert, snoozed_until=now + timedelta(seconds=seconds), snoozed_level=alert.level,
                          updated_at=now)
        b.active[alert.key] = snoozed
        b.emit(EventKind.SNOOZED, snoozed, False)
    return b.state(), b.events
