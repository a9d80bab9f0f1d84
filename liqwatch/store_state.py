"""The store's mutable per-account and per-market state, and the small rules on it that both the write
side (liqwatch.store) and the read side (liqwatch.read_model) use."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from liqwatch import danger
from liqwatch.account_book import AccountBook
from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.disagreement import Subject
from liqwatch.feed_channel import Channel
from liqwatch.funding_ledger import FundingLedger
from liqwatch.liquidation_book import LiquidationBook
from liqwatch.liquidations import LiquidatedPosition, liquidation_status
from liqwatch.model import AccountSpec, MarketState, ReportedBalance, ReportedPosition, Side, UnevaluatedPosition
from liqwatch.read_model import MonitorSnapshot
from liqwatch.rest_pause import RestPause
from liqwatch.risk.volatility import MinuteVolatility
from liqwatch.risk_events import RiskEventKind
from liqwatch.status import Status, worst

#: The reason on each position of an account whose mode is not modelled (the account view says which mode).
MODE_NOT_MODELLED = "mode not modelled"
#: Exchange risk events that hold their account's status at their alert's level until it is acknowledged.
HELD_EVENTS = frozenset({RiskEventKind.MARGIN_CALL, RiskEventKind.CLOSED_WHILE_BLIND, RiskEventKind.AUTO_DELEVERAGE})
#: The level they hold it at: their alerts' (``liqwatch.alerts.risk_levels``), all three critical.
HELD_LEVEL = AlertLevel.CRITICAL


def supersedes(liq: LiquidatedPosition, subject: str) -> bool:
    """The liquidation is what the exchange event (its alert subject) announced or was: the account's margin
    call, or that position's close found while blind. Its alert then says what happened; the event's closes."""
    return subject in (RiskEventKind.MARGIN_CALL.value,
                       f"{RiskEventKind.CLOSED_WHILE_BLIND.value} {liq.symbol} {liq.side.value}")


@dataclass
class _Account:
    spec: AccountSpec
    book: AccountBook
    channels: list[Channel] = field(default_factory=list)
    synced: bool = False
    disabled_reason: str | None = None
    last_position_time: dict[tuple[str, Side], datetime] = field(default_factory=dict)
    last_balance_time: datetime | None = None
    funding: FundingLedger = field(default_factory=FundingLedger)  # the exchange's records
    leg_funding: FundingLedger = field(default_factory=FundingLedger)  # each position's share of them
    opened_at: dict[tuple[str, Side], datetime] = field(default_factory=dict)
    #: (the exchange's reported equity, ours from the same snapshot) at the last snapshot that reported one.
    reported_equity: tuple[float, float] | None = None
    #: (the exchange's free margin, its withdrawable amount, our free margin from the same snapshot) at the
    #: last snapshot that reported either.
    reported_free: tuple[float | None, float | None, float | None] | None = None
    unevaluated: dict[tuple[str, Side], UnevaluatedPosition] = field(default_factory=dict)
    mode_not_modelled: str | None = None
    halted: bool = False  # the adapter stopped watching (a mode whose API it cannot use): nothing to wait for
    liq_mono: dict[tuple[str, Side], float] = field(default_factory=dict)  # exchange's liq price reported
    disagreed: set[Subject] = field(default_factory=set)  # at the previous reconciliation
    levels: dict[tuple[AlertRule, str], AlertLevel] = field(default_factory=dict)  # held, for hysteresis
    liq: LiquidationBook = field(default_factory=LiquidationBook)
    events: dict[str, AlertLevel] = field(default_factory=dict)  # exchange risk events not acknowledged
    warnings: tuple[str, ...] = ()  # standing warnings about its set-up (the API key's permissions)
    rest_pause: RestPause | None = None  # its exchange's REST is paused (IP ban, maintenance)
    clock_offset_s: float | None = None  # the exchange's clock minus ours, as last measured
    #: A generic (ccxt) account: the exchange's figures only (liqwatch.store_reported), no book of ours.
    reported_only: bool = False
    reported: dict[tuple[str, Side], ReportedPosition] = field(default_factory=dict)
    reported_balance: ReportedBalance | None = None
    reported_as_of: datetime | None = None
    #: Moves with every change that may move its view (liqwatch.store_changes): a view built at another
    #: count is not reused (liqwatch.store_incremental).
    changes: int = 0

    def pinned(self) -> Status | None:
        """The status its unacknowledged liquidations and exchange risk events hold it at, if any."""
        # A position gone whose history look-up is not answered yet holds it too (never "ok" meanwhile).
        held = [*([s] if (s := liquidation_status(tuple(self.liq.records.values()))) is not None else []),
                *([u] if (u := self.liq.unresolved_status()) is not None else []),
                *(danger.status_of(level) for level in self.events.values())]
        return worst(held) if held else None

    @property
    def liquidations(self) -> dict[tuple[str, Side], LiquidatedPosition]:
        return self.liq.records


@dataclass
class _Market:
    state: MarketState
    exchange_time: datetime
    receive_mono: float
    volatility: MinuteVolatility


def _holds(acc: _Account, symbol: str) -> bool:
    """The account shows this symbol outside its book: a position not evaluated, or one the exchange reports."""
    return any(k[0] == symbol for k in acc.unevaluated) or any(k[0] == symbol for k in acc.reported)


def _forget(acc: _Account, key: tuple[str, Side]) -> bool:
    """The position is no longer held (evaluated or not): True if it was."""
    acc.opened_at.pop(key, None)
    acc.liq_mono.pop(key, None)
    had = acc.unevaluated.pop(key, None) is not None
    return acc.book.remove(key) or had


def hold_levels(accounts: dict[str, _Account], snap: MonitorSnapshot) -> None:
    """Keep the danger levels each view of ``snap`` was judged at (an account with figures) for the next."""
    for view in snap.accounts:
        if (acc := accounts.get(view.name)) is not None and view.risk is not None:
            levels = dict(view.held_levels)
            if levels != acc.levels:  # its levels are judged with these next: its view is evaluated again
                acc.levels = levels
                acc.changes += 1


def _unevaluate_book(acc: _Account) -> None:
    for pos in acc.book.positions():
        acc.unevaluated[pos.key] = UnevaluatedPosition.of(pos, MODE_NOT_MODELLED)
        acc.book.remove(pos.key)
