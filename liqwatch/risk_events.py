"""Typed risk events: what an exchange (or the store's reconciliation) said happened to an account, and notes
about a feed. The feeds report them to the store (``MonitorStore.report``), which keeps a bounded log of them
(``EventLog``); the snapshot carries the log, and the alerts, the history recorder and the screens read it
typed. Nobody parses an event's ``text``: it is for display only.

The model layer: nothing here knows about alerts, feeds or the store. What level an event's alert takes is
the alerts' business (``liqwatch.alerts.risk_levels``).
"""

from __future__ import annotations

import heapq
import logging
from collections import deque
from dataclasses import KW_ONLY, dataclass
from datetime import datetime
from enum import StrEnum

from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import Side

log = logging.getLogger("liqwatch.events")


class RiskEventKind(StrEnum):
    """The values are part of alert subjects (stored with the alerts): never renamed."""

    MARGIN_CALL = "margin_call"
    LIQUIDATION = "liquidation"  # full or partial (``RiskEvent.partial``)
    AUTO_DELEVERAGE = "auto_deleverage"
    CLOSED_WHILE_BLIND = "closed_while_blind"  # a REST reconciliation found the position gone
    CLOSED = "closed"  # gone since the last run; the exchange's history shows no liquidation
    LIQUIDATION_UNKNOWN = "liquidation_unknown"  # gone; the exchange's history could not be read (or was wrong)
    OTHER = "other"  # about liqwatch itself (an earlier run that did not stop cleanly)


@dataclass(frozen=True, slots=True)
class RiskEvent:
    """One risk event. ``text``: what happened, for display, without the account; ``received_at``: when
    liqwatch learnt it (local wall clock, UTC). The figures it has: ``size`` and ``price`` of what the exchange
    closed, ``partial`` for a liquidation that left some of the position open."""

    kind: RiskEventKind
    account: str
    text: str
    received_at: datetime
    _: KW_ONLY
    exchange: str = ""
    symbol: str | None = None
    side: Side | None = None
    size: float | None = None
    price: float | None = None
    partial: bool = False

    @property
    def line(self) -> str:
        """The log line: ``"<account>: <text>"``."""
        return _line(self.account, self.text)

    @property
    def subject(self) -> str:
        """Identity for de-duplication: the same event repeated while its alert is open is one alert."""
        parts = [self.kind.value]
        if self.symbol:
            parts.append(self.symbol)
        if self.side is not None:
            parts.append(self.side.value)
        if self.kind is RiskEventKind.OTHER:
            parts.append(self.text[:120])
        return " ".join(parts)

    @classmethod
    def liquidation(cls, liq: LiquidatedPosition, received_at: datetime, exchange: str = "") -> RiskEvent:
        """The store's record of a liquidation (the slices so far) as its event."""
        return cls(RiskEventKind.LIQUIDATION, liq.account, liq.describe(), received_at, exchange=exchange,
                   symbol=liq.symbol, side=liq.side, size=liq.size_taken, price=liq.price, partial=liq.partial)


@dataclass(frozen=True, slots=True)
class FeedNote:
    """A note about a feed (an exchange error, a missing tier table, a key refused): at most a warning, and
    never taken for a liquidation or a close, whatever its text says."""

    account: str
    text: str
    received_at: datetime
    _: KW_ONLY
    exchange: str = ""
    symbol: str | None = None

    @property
    def line(self) -> str:
        """The log line: ``"<account>: <text>"``."""
        return _line(self.account, self.text)

    @property
    def subject(self) -> str:
        return f"feed_error {self.text[:120]}"


LoggedEvent = RiskEvent | FeedNote


def _line(account: str, text: str) -> str:
    return f"{account}: {text}" if account else text


class EventLog:
    """The store's log of events, oldest first, bounded (a feed stuck in a loop cannot grow memory). Risk events
    and feed notes are bounded apart: a burst of notes (a feed in an error loop logs one per frame) never evicts
    a margin call or a liquidation that no reader has seen yet. ``total`` counts every event ever added and each
    event keeps its number in that count, so a reader that remembers it finds what is new (``events_since``);
    ``notes_dropped``/``risks_dropped`` count what overflowed (logged as a warning)."""

    def __init__(self, maxlen: int = 200, risk_maxlen: int = 1000) -> None:
        self._notes: deque[tuple[int, LoggedEvent]] = deque(maxlen=maxlen)
        self._risks: deque[tuple[int, LoggedEvent]] = deque(maxlen=risk_maxlen)
        self.total = 0
        self.notes_dropped = 0
        self.risks_dropped = 0

    def add(self, event: LoggedEvent) -> None:
        risk = isinstance(event, RiskEvent)
        items = self._risks if risk else self._notes
        if len(items) == items.maxlen:
            if risk:
                self.risks_dropped += 1
            else:
                self.notes_dropped += 1
            dropped = self.risks_dropped if risk else self.notes_dropped
            if dropped == 1 or dropped % 1000 == 0:  # said when it starts, then now and then, not per event
                log.warning("the event log keeps the last %d %s: %d older ones dropped so far", items.maxlen,
                            "risk events" if risk else "feed notes", dropped)
        items.append((self.total, event))
        self.total += 1

    def numbered(self) -> tuple[tuple[int, LoggedEvent], ...]:
        """The retained events with their numbers (0 for the first ever added), oldest first."""
        return tuple(heapq.merge(self._notes, self._risks, key=lambda n: n[0]))

    def items(self) -> tuple[LoggedEvent, ...]:
        return tuple(e for _, e in self.numbered())

    def numbers(self) -> tuple[int, ...]:
        return tuple(n for n, _ in self.numbered())

    def __len__(self) -> int:
        return len(self._notes) + len(self._risks)


def events_since(events: tuple[LoggedEvent, ...], total: int, seen: int,
                 numbers: tuple[int, ...] | None = None) -> tuple[LoggedEvent, ...]:
    """The events of a log (its retained ``events``, ``total`` ever added, each event's number in ``numbers``
    when given) added after the reader saw ``seen`` in all. A count above ``total`` is another log's (a new
    store): everything it holds is new. Without numbers, the retained events are taken as the last ones added."""
    if seen > total:
        return events
    if numbers is not None and len(numbers) == len(events):
        return tuple(e for n, e in zip(numbers, events, strict=True) if n >= seen)
    new = total - seen
    return events[len(events) - new:] if new < len(events) else events


class RiskEventQueue:
    """Events with no store to report to (an earlier run's unclean stop, found by the alerts' heartbeat): the
    alert service drains it on each evaluation. Bounded; ``dropped`` counts what overflowed."""

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
