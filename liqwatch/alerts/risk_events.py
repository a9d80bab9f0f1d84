"""Exchange risk events: the typed hook feeds push into, and the bridge from the store's incident strings.

Feeds report by appending typed lines (``liqwatch.incidents.Incident``) to ``MonitorStore.incidents``;
``new_incidents`` finds the lines added since the last look and ``event_from_incident`` maps each by its
kind. A feed may also push a ``RiskEvent`` to a ``RiskEventQueue``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from liqwatch.alert_levels import AlertLevel
from liqwatch.incidents import Incident, IncidentKind


class RiskEventKind(StrEnum):
    MARGIN_CALL = "margin_call"
    CLOSED_WHILE_BLIND = "closed_while_blind"
    CLOSED = "closed"  # gone since the last run; the exchange's history shows no liquidation
    LIQUIDATION_UNKNOWN = "liquidation_unknown"  # gone; the exchange's history could not be read
    LIQUIDATION = "liquidation"
    AUTO_DELEVERAGE = "auto_deleverage"
    FEED_ERROR = "feed_error"
    OTHER = "other"


@dataclass(frozen=True, slots=True)
class RiskEvent:
    account: str
    kind: RiskEventKind
    message: str
    level: AlertLevel = AlertLevel.CRITICAL
    symbol: str | None = None
    side: str | None = None
    time: datetime | None = None

    @property
    def subject(self) -> str:
        """Identity for de-duplication: the same event repeated while its alert is open is one alert."""
        parts = [self.kind.value]
        if self.symbol:
            parts.append(self.symbol)
        if self.side:
            parts.append(self.side)
        if self.kind in (RiskEventKind.OTHER, RiskEventKind.FEED_ERROR):
            parts.append(self.message[:120])
        return " ".join(parts)


class RiskEventQueue:
    """Where feeds push typed events; the alert service drains it on each evaluation. Bounded, so a feed
    stuck in a loop cannot grow memory; ``dropped`` counts what overflowed."""

    def __init__(self, maxlen: int = 1000) -> None:
        self._items: deque[RiskEvent] = deque(maxlen=maxlen)
        self.dropped = 0

    def push(self, event: RiskEvent) -> None:
        if len(self._items) == self._items.maxlen:
            self.dropped += 1
        self._items.append(event)

    def drain(self) -> tuple[RiskEvent, ...]:
        items = tuple(self._items)
        self._items.clear()
        return items


def new_incidents(seen: tuple[str, ...], current: tuple[str, ...]) -> tuple[str, ...]:
    """The lines of ``current`` added since ``seen``. The store keeps a bounded deque, so ``current`` is
    ``seen`` with some lines dropped at the front and some appended at the end."""
    if not seen:
        return current
    for dropped in range(len(seen) + 1):
        rest = seen[dropped:]
        if current[: len(rest)] == rest:
            return current[len(rest) :]
    return current


# What each typed incident is as an exchange risk event. A position the trader closed himself (gone since the
# last run, and the exchange's history shows no liquidation) is a notice, never a liquidation.
_OF_INCIDENT: dict[IncidentKind, tuple[RiskEventKind, AlertLevel]] = {
    IncidentKind.LIQUIDATION: (RiskEventKind.LIQUIDATION, AlertLevel.LIQUIDATION_IMMINENT),
    IncidentKind.CLOSED_WHILE_BLIND: (RiskEventKind.CLOSED_WHILE_BLIND, AlertLevel.CRITICAL),
    IncidentKind.CLOSED_SINCE_LAST_RUN: (RiskEventKind.CLOSED, AlertLevel.WARNING),
    IncidentKind.LIQUIDATION_UNKNOWN: (RiskEventKind.LIQUIDATION_UNKNOWN, AlertLevel.WARNING),
    IncidentKind.MARGIN_CALL: (RiskEventKind.MARGIN_CALL, AlertLevel.CRITICAL),
    IncidentKind.AUTO_DELEVERAGE: (RiskEventKind.AUTO_DELEVERAGE, AlertLevel.CRITICAL),
    IncidentKind.FEED: (RiskEventKind.FEED_ERROR, AlertLevel.WARNING),
}


def event_from_incident(text: str, accounts: Collection[str]) -> RiskEvent:
    """One incident line (``"<account>: <what happened>"``) as a risk event, by its kind (``Incident``); the
    prose is never parsed for it. A plain string is a note about a feed (a warning)."""
    account, sep, rest = text.partition(": ")
    if not sep or account not in accounts:
        account, rest = "", text
    if not isinstance(text, Incident):
        return RiskEvent(account, RiskEventKind.FEED_ERROR, rest, AlertLevel.WARNING)
    kind, level = _OF_INCIDENT[text.kind]
    return RiskEvent(account, kind, rest, level, text.symbol, text.side)
