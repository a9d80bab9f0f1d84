"""What a channel sends: one alert event, flattened, with the texts every channel shares.

The JSON form is the generic webhook's body and the outbox payload; it holds no secret.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.model import AlertEvent, EventKind

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_LABEL = {
    AlertLevel.INFO: "INFO",
    AlertLevel.WARNING: "WARNING",
    AlertLevel.CRITICAL: "CRITICAL",
    AlertLevel.LIQUIDATION_IMMINENT: "LIQUIDATION IMMINENT",
}


# Notifications about liqwatch itself, not about an alert.
_OWN_HEADLINE = {EventKind.TEST: "liqwatch test", EventKind.HEARTBEAT: "liqwatch heartbeat",
                 EventKind.STOPPED: "liqwatch stopped"}


def sanitize(text: str, limit: int = 300) -> str:
    """Printable text on one line: incident texts come from exchanges, and a stray ESC or BEL in them must
    not become a terminal command."""
    clean = _CONTROL.sub(" ", text).strip()
    return clean if len(clean) <= limit else clean[: limit - 1] + "…"


def _iso(when: datetime) -> str:
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True, slots=True)
class Notification:
    id: str  # the event's log id: stable across retries and restarts, for receivers to de-duplicate
    alert_id: str
    event: EventKind
    level: AlertLevel
    account: str
    rule: str
    subject: str
    value: float | None
    threshold: float | None
    message: str
    time: str  # ISO 8601, UTC
    raised_at: str

    @classmethod
    def from_event(cls, event: AlertEvent, log_id: int) -> Notification:
        a = event.alert
        return cls(str(log_id), a.id, event.kind, event.level, a.key.account, a.key.rule.value, a.key.subject,
                   _finite(event.value), _finite(a.threshold), event.message, _iso(event.time), _iso(a.raised_at))

    @property
    def headline(self) -> str:
        """``liqwatch CRITICAL``: what happened, without the account (the message starts with it)."""
        if self.event is EventKind.CLEARED:
            return "liqwatch cleared"
        if self.event in (EventKind.SNOOZE_ENDED, EventKind.REMINDED):
            return f"liqwatch reminder, {_LABEL[self.level]}"
        if self.event in _OWN_HEADLINE:
            return _OWN_HEADLINE[self.event]
        return f"liqwatch {_LABEL[self.level]}"

    @property
    def title(self) -> str:
        return f"{self.headline}: {sanitize(self.account, 64)}" if self.account else self.headline

    @property
    def body(self) -> str:
        return sanitize(f"{self.message} [alert {self.alert_id}]")

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False, allow_nan=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": "liqwatch",
            "id": self.id,
            "alert_id": self.alert_id,
            "event": self.event.value,
            "level": self.level.value,
            "account": self.account,
            "rule": self.rule,
            "subject": self.subject,
            "value": self.value,
            "threshold": self.threshold,
            "message": self.message,
            "time": self.time,
            "raised_at": self.raised_at,
        }

    @classmethod
    def from_json(cls, text: str) -> Notification:
        d = json.loads(text)
        return cls(str(d["id"]), d["alert_id"], EventKind(d["event"]), AlertLevel(d["level"]), d["account"],
                   d["rule"], d["subject"], d["value"], d["threshold"], d["message"], d["time"], d["raised_at"])
