"""Frozen domain value types shared by the whole engine.

Exchange wire schemas live with the feed adapters; these types are what the adapters produce and what the
risk math, the store and the UI consume.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from liqwatch.tiers import TierTable

#: An exchange's id, open-ended: ours for the exchanges liqwatch models natively (the members of ``Exchange``,
#: each its own string), or any other (``"ccxt"`` for the generic ccxt adapter, whose ccxt id rides beside).
#: Compare ids with ``==``, never ``is``: an id read from a config or a database is a plain string.
ExchangeId = str


class Exchange(StrEnum):
    """The exchanges liqwatch models natively (risk rules, symbols): the known ``ExchangeId`` values."""

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
    #: The exchange's own return on equity as of its snapshot (Hyperliquid returnOnEquity, OKX uplRatio).
    exchange_roe: float | None = None
    #: Funding since the position opened as the exchange reports it, in our sign (negative = paid), where
    #: the exchange reports one (Hyperliquid ``cumFunding.sinceOpen``, negated).
    exchange_funding_since_open: float | None = None
    #: The exchange's own break-even price where it reports one (Binance positionRisk ``breakEvenPrice`` and
    #: the user stream's ``bep``); each exchange defines it its own way (liqwatch.risk.base.break_even_price).
    exchange_break_even_price: float | None = None

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
class UnevaluatedPosition:
    """A position the exchange reports but liqwatch cannot evaluate (no tier table for its symbol, an entry
    price of 0, an account mode whose margin rules are not modelled): shown with what is known and the
    reason, never with figures, and never dropped. Its account cannot read "ok" while it is held."""

    symbol: str
    side: Side
    size: float | None  # None when not known (an OKX position whose contract size could not be read)
    reason: str
    entry_price: float | None = None  # None (or the exchange's 0 dropped) when not known
    mark_price: float | None = None
    margin_mode: MarginMode | None = None
    leverage: float | None = None
    exchange_liquidation_price: float | None = None

    @property
    def key(self) -> tuple[str, Side]:
        return (self.symbol, self.side)

    @staticmethod
    def of(pos: Position, reason: str) -> UnevaluatedPosition:
        """A valid position held in an account whose rules are not modelled."""
        return UnevaluatedPosition(pos.symbol, pos.side, pos.size, reason, pos.entry_price, pos.mark_price,
                                   pos.margin_mode, pos.leverage, pos.exchange_liquidation_price)


@dataclass(frozen=True, slots=True)
class ReportedPosition:
    """A position watched through the generic (ccxt) adapter: only figures the exchange itself reported, each
    read from its own answer (never derived with another exchange's formula). liqwatch has no margin rules for
    such an exchange, so the liquidation price is the exchange's; distance, alerts and the what-if are computed
    from it and the mark. A figure the exchange gives none of is None, shown as "n/a (exchange gives none)".

    ``size`` is in the base asset for a linear contract (contracts x contract size); ``linear`` says the PnL and
    notional follow the mark linearly, so they are recomputed at live marks (an inverse contract's are not: the
    exchange's figures at its snapshot are shown)."""

    symbol: str  # ccxt's unified symbol ("BTC/USDT:USDT")
    side: Side
    size: float
    entry_price: float | None
    mark_price: float | None  # the exchange's, at its snapshot
    liquidation_price: float | None  # the exchange's own; None when it gives none
    margin_mode: MarginMode | None = None
    leverage: float | None = None
    notional: float | None = None
    unrealized_pnl: float | None = None
    maintenance_margin: float | None = None  # read from the exchange's answer (``info``) where its field is known
    linear: bool = True
    #: Where the liquidation price was read: "exchange" (a field of the exchange's own answer, ``info``) or
    #: "ccxt" (ccxt's unified field, which ccxt passes through for most exchanges and derives for a few).
    liquidation_source: str = "exchange"

    @property
    def key(self) -> tuple[str, Side]:
        return (self.symbol, self.side)


@dataclass(frozen=True, slots=True)
class ReportedBalance:
    """A generic account's balance as the exchange reports it, in its settlement currency. ``source`` says
    where the figures were read: "exchange" (the exchange's own account fields) or "ccxt" (ccxt's unified
    balance total, for an exchange whose account fields liqwatch does not know)."""

    currency: str
    equity: float
    wallet_balance: float | None = None
    maintenance_margin: float | None = None
    available: float | None = None
    source: str = "exchange"


@dataclass(frozen=True, slots=True)
class MarketState:
    """Per-symbol market data of one exchange."""

    symbol: str
    mark_price: float
    index_price: float | None = None
    oracle_price: float | None = None
    funding_rate: float | None = None
    next_funding_time: datetime | None = None
    #: The symbol's funding interval: its own where the exchange says it, else its exchange's default
    #: (liqwatch.funding.default_interval_hours); None only for a state built outside the store.
    funding_interval_hours: float | None = None


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """What identifies a monitored account; no secrets here."""

    name: str
    exchange: ExchangeId
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
    #: The hedge-mode leg this share belongs to; None when the symbol holds one position (one-way mode) or
    #: for the exchange's own record, which names no leg (Binance income carries no position side).
    side: Side | None = None


@dataclass(frozen=True, slots=True)
class MarkTick:
    """A mark-price update for one symbol of one exchange."""

    exchange: ExchangeId
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
    position: Position | UnevaluatedPosition | None
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

    ``wallet_balance`` is the cross wallet (isolated wallets ride on their positions' ``isolated_margin``);
    ``exchange_margin_balance`` is the account's equity as the exchange reports it in the same snapshot
    (Binance totalMarginBalance, Hyperliquid marginSummary.accountValue), kept to check ours against it.
    ``unevaluated`` are the positions held that cannot be evaluated (each with its reason);
    ``mode_not_modelled`` names an account mode whose margin rules liqwatch does not implement: then no
    figure of the account is computed and every position it holds is listed as not evaluated.
    ``exchange_available_balance`` and ``exchange_withdrawable`` are the exchange's own free margin and the
    amount it lets the account withdraw, from the same snapshot (Binance ``availableBalance`` and
    ``maxWithdrawAmount``; Hyperliquid reports ``withdrawable`` only), where it reports them.
    """

    spec: AccountSpec
    wallet_balance: float
    positions: tuple[Position, ...] = field(default_factory=tuple)
    as_of: datetime | None = None
    from_stream: bool = False
    exchange_margin_balance: float | None = None
    unevaluated: tuple[UnevaluatedPosition, ...] = field(default_factory=tuple)
    mode_not_modelled: str | None = None
    exchange_available_balance: float | None = None
    exchange_withdrawable: float | None = None
    #: A generic (ccxt) account's positions and balance, the exchange's figures only (``ReportedPosition``);
    #: ``positions`` and ``unevaluated`` are then empty.
    reported: tuple[ReportedPosition, ...] = field(default_factory=tuple)
    reported_balance: ReportedBalance | None = None
