"""The level each typed risk event's alert takes. A position the trader closed himself (gone since the last
run, and the exchange's history shows no liquidation) is a notice, never a liquidation; a note about a feed
is at most a warning, whatever its text says."""

from __future__ import annotations

from liqwatch.alert_levels import AlertLevel
from liqwatch.risk_events import FeedNote, LoggedEvent, RiskEventKind

LEVELS: dict[RiskEventKind, AlertLevel] = {
    RiskEventKind.LIQUIDATION: AlertLevel.LIQUIDATION_IMMINENT,
    RiskEventKind.CLOSED_WHILE_BLIND: AlertLevel.CRITICAL,
    RiskEventKind.CLOSED: AlertLevel.WARNING,
    RiskEventKind.LIQUIDATION_UNKNOWN: AlertLevel.WARNING,
    RiskEventKind.MARGIN_CALL: AlertLevel.CRITICAL,
    RiskEventKind.AUTO_DELEVERAGE: AlertLevel.CRITICAL,
    RiskEventKind.OTHER: AlertLevel.WARNING,
}


def level_of(event: LoggedEvent) -> AlertLevel | None:
    """The level its alert is raised at; None for a measurement (clock skew: the rule's ladder judges it)."""
    if isinstance(event, FeedNote):
        return AlertLevel.WARNING
    return LEVELS.get(event.kind)
