"""Frozen domain value types shared by the whole engine.

Exchange wire schemas live with the feed adapters; these types are what the adapters produce and what the
risk math, the store and the UI consume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from liqwatch.tiers import TierTable


class Exchange(StrEnum):
    """Our exchange names (not ccxt ids)."""

    BINANCE = "binance"
    BYBIT = "bybit"
    OKX = "okx"
    HYPERLIQUID = "hyperliquid"


class Side(StrEnum):
    LONG = "long"
    SHORT = "short"

    @property
    def sign(self) -> int:
        return 1 if self is Side.LONG else -1


class MarginMode(StrEnum):
    CROSS = "cross"
    ISOLATED = "isolated"


class PositionMode(StrEnum):
    ONE_WAY = "one-way"
    HEDGE = "hedge"


@dataclass(frozen=True, slots=True)
class Stamp:
    """When the exchange says a fact happened, and when we received it (both timezone-aware UTC)."""

    exchange_time: datetime
    receive_time: datetime

    def __post_init__(self) -> None:
        if self.exchange_time.tzinfo is None or self.receive_time.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware UTC")


@dataclass(frozen=True, slots=True)
class Position:
    """One open perpetual position, linear (settled in the quote/settle currency).

    ``isolated_margin`` is the margin held by an isolated position without its unrealized PnL (Binance
    isolatedWallet, Bybit position margin, OKX margin, Hyperliquid marginUsed - uPnL).
    """

    symbol: str
    side: Side
    size: float
    entry_price: float
    margin_mode: MarginMode
    tiers: TierTable
    position_mode: PositionMode = PositionMode.ONE_WAY
    leverage: float | None = None
    isolated_margin: float | None = None
    mark_price: float | None = None
    exchange_liquidation_price: float | None = None
    opened_at: datetime | None = None
    #: The taker fee rate of this symbol when it differs from the account's (OKX fee term, Bybit UTA).
    taker_fee_rate: float | None = None

    def __post_init__(self) -> None:
        if not self.size > 0:
            raise ValueError(f"position {self.symbol}: size must be > 0 (side carries the direction)")
        if not self.entry_price > 0:
            raise ValueError(f"position {self.symbol}: entry_price must be > 0")
        if self.margin_mode is MarginMode.ISOLATED and self.isolated_margin is None:
            raise ValueError(f"position {self.symbol}: an isolated position needs isolated_margin")

    @property
    def key(self) -> tuple[str, Side]:
        """Identity inside an account: in hedge mode a symbol has a long and a short leg."""
        return (self.symbol, self.side)


@dataclass(frozen=True, slots=True)
class MarketState:
    """Per-symbol market data of one exchange."""

    symbol: str
    mark_price: float
    index_price: float | None = None
    oracle_price: float | None = None
    funding_rate: float | None = None
    next_funding_time: datetime | None = None
    funding_interval_hours: float = 8.0


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """What identifies a monitored account; no secrets here."""

    name: str
    exchange: Exchange
    position_mode: PositionMode = PositionMode.ONE_WAY
    taker_fee_rate: float | None = None


@dataclass(frozen=True, slots=True)
class FundingPayment:
    """A settled funding cash flow: negative when paid, positive when received."""

    symbol: str
    amount: float
    time: datetime
    rate: float | None = None
    payment_id: str | None = None


@dataclass(frozen=True, slots=True)
class MarkTick:
    """A mark-price update for one symbol of one exchange."""

    exchange: Exchange
    symbol: str
    mark_price: float
    stamp: Stamp
    index_price: float | None = None
    oracle_price: float | None = None
    funding_rate: float | None = None
    next_funding_time: datetime | None = None
    #: The exchange sends no time with it (Hyperliquid's contexts): ordered by arrival, never by a time
    #: we made up from the local wall clock.
    by_arrival: bool = False


@dataclass(frozen=True, slots=True)
class PositionUpdate:
    """Replaces one position of one account; ``position`` None means it closed."""

    account: str
    key: tuple[str, Side]
    position: Position | None
    stamp: Stamp


@dataclass(frozen=True, slots=True)
class BalanceUpdate:
    """The account's cross wallet balance (without unrealized PnL)."""

    account: str
    wallet_balance: float
    stamp: Stamp


@dataclass(frozen=True, slots=True)
class AccountState:
    """A full account as a snapshot: what a REST resync produces (or a stream that pushes whole states).

    ``as_of`` is the exchange time the snapshot is known to be at least as new as (the request's start);
    stream events newer than it are kept over the snapshot's version. ``from_stream`` marks a whole state
    pushed on the stream: a position missing from it closed in plain sight, not while we were blind.
    """

    spec: AccountSpec
    wallet_balance: float
    positions: tuple[Position, ...] = field(default_factory=tuple)
    as_of: datetime | None = None
    from_stream: bool = False
