"""The alert vocabulary (its levels and rules are in liqwatch.alert_levels): keys, the alerts themselves and
the events that change them.

Everything here is immutable; the engine builds new values instead of editing old ones, so a state handed
to the UI never changes under it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import TYPE_CHECKING

from liqwatch.alert_levels import AlertLevel, AlertRule, max_level

if TYPE_CHECKING:
    from liqwatch.alerts.position_activity import ActivityState


class EventKind(StrEnum):
    RAISED = "raised"
    REOPENED = "reopened"  # back within the re-arm time at a level already announced: logged, not sent
    ESCALATED = "escalated"
    DOWNGRADED = "downgraded"
    ACKNOWLEDGED = "acknowledged"
    SNOOZED = "snoozed"
    SNOOZE_ENDED = "snooze_ended"
    CLEARED = "cleared"
    UPDATED = "updated"  # same alert, same level, new figures worth a line in the log (a further slice)
    REMINDED = "reminded"  # still critical and unacknowledged: sent again through webhooks (as the bell rings)
    # Not alert events (never in the alert log): what ``liqwatch alerts test`` and the heartbeat send.
    TEST = "test"
    HEARTBEAT = "heartbeat"
    STOPPED = "stopped"


@dataclass(frozen=True, slots=True, order=True)
class AlertKey:
    """What an alert is about. ``subject`` is "" for the account itself, "SYMBOL side" for a position, the
    channel name for a feed, or the event's kind and symbol for an exchange event."""

    account: str
    rule: AlertRule
    subject: str = ""

    def describe(self) -> str:
        return f"{self.account} {self.subject}".strip() if self.subject else self.account


@dataclass(frozen=True, slots=True)
class Alert:
    """One alert while it is active (and, in storage, after it cleared)."""

    id: str
    key: AlertKey
    level: AlertLevel
    value: float | None
    threshold: float | None
    message: str
    raised_at: datetime
    updated_at: datetime
    announced: AlertLevel  # the highest level sent to the trader and not yet re-armed
    below_announced_since: datetime | None = None
    acked_at: datetime | None = None
    acked_level: AlertLevel | None = None
    snoozed_until: datetime | None = None
    snoozed_level: AlertLevel | None = None
    reopened: int = 0
    cleared_at: datetime | None = None

    @property
    def acknowledged(self) -> bool:
        return self.acked_at is not None

    def snoozed(self, now: datetime) -> bool:
        return self.snoozed_until is not None and now < self.snoozed_until

    def unattended(self, now: datetime) -> bool:
        """Active and neither acknowledged nor snoozed, whatever its level: what the app counts as new."""
        return self.cleared_at is None and not self.acknowledged and not self.snoozed(now)

    def needs_attention(self, now: datetime) -> bool:
        """Critical, not acknowledged and not snoozed: what keeps the bell ringing."""
        return self.cleared_at is None and self.level.is_critical and not self.acknowledged and not self.snoozed(now)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One change of one alert. ``notify`` says whether delivery channels should send it; every event is
    logged."""

    kind: EventKind
    time: datetime
    alert: Alert  # the alert as it is after this event
    notify: bool
    note: str | None = None  # what the log and notifications say, when it differs from the alert's message
    measured: float | None = None  # the value behind this event, when it differs from the alert's

    @property
    def message(self) -> str:
        return self.note if self.note is not None else self.alert.message

    @property
    def value(self) -> float | None:
        return self.measured if self.note is not None else self.alert.value

    @property
    def alert_id(self) -> str:
        return self.alert.id

    @property
    def level(self) -> AlertLevel:
        """The level a channel's ``min_level`` is compared with: the worst one announced for a clear."""
        if self.kind is EventKind.CLEARED:
            return max_level(self.alert.level, self.alert.announced) or self.alert.level
        return self.alert.level


@dataclass(frozen=True, slots=True)
class Cleared:
    """A recently cleared alert, kept for the re-arm time so that a flapping value re-opens it quietly."""

    alert: Alert
    cleared_at: datetime


def _frozen(mapping: Mapping[AlertKey, Alert] | None = None) -> Mapping[AlertKey, Alert]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True, slots=True)
class AlertState:
    """Everything evaluation remembers between snapshots."""

    active: Mapping[AlertKey, Alert] = field(default_factory=_frozen)
    recent: Mapping[AlertKey, Cleared] = field(default_factory=lambda: MappingProxyType({}))
    not_live_since: Mapping[tuple[str, str], datetime] = field(default_factory=lambda: MappingProxyType({}))
    events_seen: int = 0  # the store's event log count (``MonitorSnapshot.events_total``) last evaluated
    id_prefix: str = "0"  # unique per process run (see alerts.alert_rows.next_id_prefix)
    next_seq: int = 1
    #: Alert id -> when it was last sent (an event with ``notify``): the period of the webhook reminders.
    last_sent: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))
    #: What position activity compares the next snapshot with (``liqwatch.alerts.position_activity``).
    activity: ActivityState | None = None
    #: The last evaluated snapshot's (wall, monotonic) readings: how a wall-clock step is seen
    #: (``liqwatch.alerts.wall_steps``).
    clock_ref: tuple[datetime, float] | None = None

    def by_id(self, alert_id: str) -> Alert | None:
        for alert in self.active.values():
            if alert.id == alert_id:
                return alert
        return None

    def alerts(self) -> list[Alert]:
        """Active alerts, worst first, then oldest first."""
        return sorted(self.active.values(), key=lambda a: (-a.level.rank, a.raised_at, a.id))

    def needs_attention(self, now: datetime) -> bool:
        return any(a.needs_attention(now) for a in self.active.values())
