"""Why an exchange's REST is paused for every account on it, as the store, the alerts and the screens see it.

A pause is per endpoint (limits and bans are per IP, maintenance per exchange): ``RestGate`` in
``liqwatch.feeds.rest`` holds it, each adapter of that endpoint publishes it to the store with the end on the
wall clock, so that "banned until 23:41:07 UTC" is a time the trader can read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class PauseKind(StrEnum):
    BANNED = "banned"  # HTTP 418: the exchange banned this IP until Retry-After
    MAINTENANCE = "maintenance"  # HTTP 503: the exchange is unavailable; tried again at a slow cadence


@dataclass(frozen=True, slots=True)
class RestPause:
    kind: PauseKind
    #: The ban's end (BANNED) or the next try (MAINTENANCE), on the local wall clock, UTC.
    until: datetime
    reason: str

    def describe(self, exchange: str) -> str:
        at = f"{self.until:%H:%M:%S} UTC"
        if self.kind is PauseKind.BANNED:
            return f"{exchange} banned this IP until {at}, data may be stale ({self.reason.split(' (')[0]})"
        return f"{exchange} under maintenance ({self.reason}); next try {at}"

    def json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "until": self.until.isoformat().replace("+00:00", "Z"),
                "reason": self.reason}
