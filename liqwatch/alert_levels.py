"""The levels an alert (and the one level of danger of a figure) can have, and the rules that raise them.

Below the store and the risk math (liqwatch.danger holds each figure's level as the alerts hold theirs), so
nothing here imports the alert engine.
"""

from __future__ import annotations

from enum import StrEnum


class AlertLevel(StrEnum):
    INFO = "info"  # worth knowing, no danger (a position the trader opened or changed); never rings
    WARNING = "warning"
    CRITICAL = "critical"
    LIQUIDATION_IMMINENT = "liquidation_imminent"  # counts as critical wherever "critical" is asked

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def is_critical(self) -> bool:
        return self.rank >= _RANK[AlertLevel.CRITICAL]

    @classmethod
    def parse(cls, name: str) -> AlertLevel:
        return cls(name)


# INFO ranks above "no level" (0, ``rank_of(None)``) and below every level of danger.
_RANK = {AlertLevel.INFO: 1, AlertLevel.WARNING: 2, AlertLevel.CRITICAL: 3, AlertLevel.LIQUIDATION_IMMINENT: 4}


def max_level(a: AlertLevel | None, b: AlertLevel | None) -> AlertLevel | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if a.rank >= b.rank else b


def rank_of(level: AlertLevel | None) -> int:
    return 0 if level is None else level.rank


class AlertRule(StrEnum):
    RISK = "risk"  # maintenance margin / equity, account or isolated position
    DISTANCE_PCT = "distance_pct"
    DISTANCE_SIGMA = "distance_sigma"
    STALE_FEED = "stale_feed"
    FUNDING_COST = "funding_cost"
    CLOCK_SKEW = "clock_skew"
    RISK_EVENT = "risk_event"  # an exchange's own event (margin call, closed while blind, ...)
    POSITION_ACTIVITY = "position_activity"  # the trader (or whoever holds the key) opened, changed, closed
    LOOP_LAG = "loop_lag"  # the monitor's own event loop stalled: what it shows may be old
    IP_BANNED = "ip_banned"  # the exchange banned this IP (HTTP 418): no REST to it until the ban's end

    @property
    def latched(self) -> bool:
        """An event has no value that could fall back: it stays until acknowledged."""
        return self in (AlertRule.RISK_EVENT, AlertRule.POSITION_ACTIVITY)
