"""Exchange risk events: the typed hook feeds push into, and the bridge from the store's incident strings.

Feeds report today by appending text to ``MonitorStore.incidents``; ``new_incidents`` finds the lines added
since the last look and ``event_from_incident`` classifies them. A feed that knows more (a margin call with
its symbol, an ADL notice) should push a ``RiskEvent`` to a ``RiskEventQueue`` instead.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from liqwatch.alerts.model import AlertLevel


class RiskEventKind(StrEnum):
    MARGIN_CALL = "margin_call"
    CLOSED_WHILE_BLIND = "closed_while_blind"
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


# ``LiquidatedPosition.describe``: the store's line for a liquidation it keeps listed.
_LIQUIDATED = re.compile(r"^(?P<symbol>\S+) (?P<side>long|short) (?:LIQUIDATED|partially liquidated)\b")
_CLOSED_BLIND = re.compile(r"^(?P<symbol>\S+) (?P<side>long|short) closed while the stream was blind")
_LIQUIDATION = re.compile(r"liquidat", re.IGNORECASE)
_ADL = re.compile(r"\bADL\b|auto[- ]?deleverag", re.IGNORECASE)


def event_from_incident(text: str, accounts: Collection[str]) -> RiskEvent:
    """Classify one incident line (``"<account>: <what happened>"``)."""
    account, sep, rest = text.partition(": ")
    if not sep or account not in accounts:
        account, rest = "", text
    m = _LIQUIDATED.match(rest)
    if m:
        return RiskEvent(account, RiskEventKind.LIQUIDATION, rest, AlertLevel.LIQUIDATION_IMMINENT,
                         m.group("symbol"), m.group("side"))
    m = _CLOSED_BLIND.match(rest)
    if m:
        return RiskEvent(account, RiskEventKind.CLOSED_WHILE_BLIND, rest, AlertLevel.CRITICAL,
                         m.group("symbol"), m.group("side"))
    if "MARGIN_CALL" in rest:
        return RiskEvent(account, RiskEventKind.MARGIN_CALL, rest, AlertLevel.CRITICAL)
    if _ADL.search(rest):
        return RiskEvent(account, RiskEventKind.AUTO_DELEVERAGE, rest, AlertLevel.CRITICAL)
    if _LIQUIDATION.search(rest):
        return RiskEvent(account, RiskEventKind.LIQUIDATION, rest, AlertLevel.LIQUIDATION_IMMINENT)
    # Everything else the feeds report is about the feed itself (errors, a missing tier table).
    return RiskEvent(account, RiskEventKind.FEED_ERROR, rest, AlertLevel.WARNING)
