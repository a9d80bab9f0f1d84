"""Liquidations the monitor has seen: the record the store keeps until its alert is acknowledged, and the
status rule that goes with it.

A liquidation is the one event a monitor of liquidation risk must never let slip out of sight: the position
is gone from the exchange's book, so without a record the account would read "ok" a second later. The store
keeps one ``LiquidatedPosition`` per liquidated leg until the trader acknowledges its alert.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import NewType

from liqwatch.model import Side
from liqwatch.status import Status

SIZE_TOLERANCE = 1e-9  # relative: a "partial" that takes all but rounding is a full liquidation
#: A time on the exchange's clock (as its histories are), never the local wall clock: the type says which.
ExchangeTime = NewType("ExchangeTime", datetime)


@dataclass(frozen=True, slots=True)
class LiquidatedPosition:
    """One liquidated leg (or the slices taken of it so far).

    ``size_taken`` is what the exchange closed; ``size_before`` the position's size before the first slice,
    when known. ``partial`` when some of the position is left open. ``realized_pnl`` is the loss the
    exchange booked for the slices (negative = lost), when it says.
    """

    account: str
    symbol: str
    side: Side
    size_taken: float
    price: float | None
    time: datetime
    size_before: float | None = None
    realized_pnl: float | None = None
    partial: bool = False
    #: "stream": seen live; "history": found in the exchange's history at start; "blind": found there after a
    #: REST reconciliation showed the position gone while the stream was down
    source: str = "stream"

    @property
    def key(self) -> tuple[str, Side]:
        return (self.symbol, self.side)

    @property
    def alert_subject(self) -> str:
        """The subject of its alert (``RiskEvent.subject`` of kind ``liquidation``)."""
        return f"liquidation {self.symbol} {self.side.value}"

    def merged(self, later: LiquidatedPosition) -> LiquidatedPosition:
        """A later slice of the same leg: sizes and losses add up, price and time are the latest."""
        pnl = None if self.realized_pnl is None and later.realized_pnl is None else (
            (self.realized_pnl or 0.0) + (later.realized_pnl or 0.0))
        return replace(
            self, size_taken=self.size_taken + later.size_taken, price=later.price or self.price, time=later.time,
            size_before=self.size_before if self.size_before is not None else later.size_before,
            realized_pnl=pnl, partial=later.partial,
        )

    def describe(self) -> str:
        """The text of its risk event (``liqwatch.risk_events``, for display: nothing parses it)."""
        what = "partially liquidated" if self.partial else "LIQUIDATED"
        size = f"size {self.size_taken:g}" + (f" of {self.size_before:g}" if self.size_before else "")
        price = f" at {self.price:g}" if self.price is not None else ""
        pnl = f", realized {self.realized_pnl:.2f}" if self.realized_pnl is not None else ""
        when = _WHEN.get(self.source, "")
        return f"{self.symbol} {self.side.value} {what}{when}{price} ({size}{pnl})"


@dataclass(frozen=True, slots=True)
class PreviousRun:
    """What an earlier run of liqwatch last saw of an account (persisted in the database). ``seen_at`` is on
    that run's local wall clock: converted to the exchange's before it dates a look-up."""

    seen_at: datetime
    positions: tuple[tuple[str, Side, float], ...]  # (symbol, side, size)


@dataclass(frozen=True, slots=True)
class ClosedSinceLastRun:
    """A position the last run saw open that this run does not find (or one a REST reconciliation found
    gone while the stream was blind): the adapter asks the exchange's history whether it was liquidated.
    ``since``: when it was last seen open, on the exchange's clock; the adapters query their history with it
    as it is (no conversion)."""

    symbol: str
    side: Side
    size: float
    since: ExchangeTime
    source: str = "history"  # or "blind"

    @property
    def when(self) -> str:
        return _WHEN.get(self.source, "").strip()

    @property
    def key(self) -> tuple[str, Side]:
        return (self.symbol, self.side)


_WHEN = {"history": " while liqwatch was not running", "blind": " while the stream was blind"}


def is_partial(size_taken: float, size_before: float | None) -> bool:
    return size_before is not None and size_taken < size_before * (1.0 - SIZE_TOLERANCE)


def liquidation_status(liquidated: tuple[LiquidatedPosition, ...] | list[LiquidatedPosition]) -> Status | None:
    """The status rule: an unacknowledged liquidation keeps its account critical, whatever else it shows
    (no position left, a fresh "ok" risk). None when it has nothing to say."""
    return Status.CRITICAL if liquidated else None
