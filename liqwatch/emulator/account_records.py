"""The emulator's account records, shared by both exchanges' accounts and the wire layers that report
them: a Binance position, income rows, closed legs, liquidations, margin calls and applied funding."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from liqwatch.emulator.market import Venue


class PositionSide(StrEnum):
    BOTH = "BOTH"
    LONG = "LONG"
    SHORT = "SHORT"


@dataclass(slots=True)
class BinancePosition:
    symbol: str
    side: PositionSide
    qty: float  # signed: > 0 long, < 0 short
    entry: float
    isolated: bool
    isolated_wallet: float  # 0 for cross
    leverage: int
    realized: float = 0.0
    update_ms: int = 0


#: The taker commission the simulated positions were opened at (Binance USDⓈ-M's regular-tier taker rate).
OPEN_COMMISSION_RATE = 0.0005


def break_even(p: BinancePosition) -> float:
    """Binance's breakEvenPrice of a position opened in one fill: the total cost of the position (the fill
    and its commission; funding left out, as the FAQ "How to Visualize the Breakeven Price" says) over its
    size; not the entry price, so that a reader taking the entry for it is caught."""
    sign = 1.0 if p.qty > 0 else -1.0
    return p.entry * (1.0 + sign * OPEN_COMMISSION_RATE)


@dataclass(frozen=True, slots=True)
class IncomeRecord:
    symbol: str
    income_type: str
    amount: float
    asset: str
    time_ms: int
    tran_id: int
    trade_id: str = ""
    info: str = ""


@dataclass(frozen=True, slots=True)
class ClosedLeg:
    symbol: str
    side: str  # Binance position side, or "long"/"short" on Hyperliquid
    qty: float  # signed size before the close
    entry: float
    price: float  # where it was closed (the mark at the trigger)
    realized: float
    isolated: bool


@dataclass(frozen=True, slots=True)
class Liquidation:
    venue: Venue
    account: str
    legs: tuple[ClosedLeg, ...]
    isolated: bool
    time_ms: int
    sim_time: float
    equity: float  # at the trigger
    maintenance: float  # at the trigger
    liquidation_price: float | None  # the solver's price for the closed position, at the trigger
    backstop: bool = False


@dataclass(frozen=True, slots=True)
class MarginCall:
    venue: Venue
    account: str
    positions: tuple[BinancePosition, ...]
    cross_wallet: float
    time_ms: int


@dataclass(frozen=True, slots=True)
class FundingApplied:
    venue: Venue
    account: str
    symbol: str
    amount: float
    rate: float
    qty: float
    isolated: bool
    time_ms: int
