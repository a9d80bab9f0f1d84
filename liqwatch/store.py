"""The monitor's one stateful object: accounts, markets and channel health, fed by normalized events.

``apply(event)`` costs O(positions of that symbol) and marks the store dirty; ``snapshot()`` builds an
immutable view (liquidation prices, distances, funding, freshness) for readers: the UI timer, ``check``,
the alert engine. Events older than the last applied one of the same key are ignored, so a duplicated or
out-of-order frame never moves state backwards.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from liqwatch.account_book import AccountBook
from liqwatch.clock import Clock
from liqwatch.feeds.channel import Channel, ChannelState, ChannelStatus
from liqwatch.funding import funding_cashflow
from liqwatch.funding_ledger import FundingLedger
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition, PreviousRun, liquidation_status
from liqwatch.model import (
    AccountSpec,
    AccountState,
    BalanceUpdate,
    Exchange,
    FundingPayment,
    MarketState,
    MarkTick,
    PositionUpdate,
    Side,
)
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.evaluate import AccountRisk, PositionRisk
from liqwatch.risk.volatility import MinuteVolatility
from liqwatch.status import RiskThresholds, Status, worst

Event = MarkTick | PositionUpdate | BalanceUpdate | AccountState


@dataclass(frozen=True, slots=True)
class FundingPaid:
    """Settled funding payments of one account (a REST page or a stream event)."""

    account: str
    payments: tuple[FundingPayment, ...]


@dataclass(frozen=True, slots=True)
class PositionView:
    risk: PositionRisk
    fresh: bool  # every channel feeding this value is LIVE
    age_s: float | None  # age of the mark behind these figures (monotonic)
    funding_rate: float | None
    next_funding_time: datetime | None
    next_funding: float | None  # projected cash flow of the next settlement (negative = pay)
    funding_paid_since_open: float | None
    status: Status


@dataclass(frozen=True, slots=True)
class AccountView:
    name: str
    exchange: Exchange
    risk: AccountRisk | None
    positions: tuple[PositionView, ...]
    feeds: tuple[ChannelStatus, ...]
    fresh: bool
    status: Status
    synced: bool  # at least one full account snapshot has been applied
    disabled_reason: str | None = None
    funding_today: float = 0.0  # settled funding since 00:00 UTC (negative = paid)
    #: Liquidations not acknowledged yet (oldest first): listed as LIQUIDATED, and the account is critical.
    liquidations: tuple[LiquidatedPosition, ...] = ()


@dataclass(frozen=True, slots=True)
class MonitorSnapshot:
    time: datetime
    version: int
    accounts: tuple[AccountView, ...]
    feeds: tuple[ChannelStatus, ...]
    status: Status
    incidents: tuple[str, ...] = ()

    def account(self, name: str) -> AccountView:
        for a in self.accounts:
            if a.name == name:
                return a
        raise KeyError(name)


@dataclass
class _Account:
    spec: AccountSpec
    book: AccountBook
    channels: list[Channel] = field(default_factory=list)
    synced: bool = False
    disabled_reason: str | None = None
    last_position_time: dict[tuple[str, Side], datetime] = field(default_factory=dict)
    last_balance_time: datetime | None = None
    funding: FundingLedger = field(default_factory=FundingLedger)
    opened_at: dict[tuple[str, Side], datetime] = field(default_factory=dict)
    liquidations: dict[tuple[str, Side], LiquidatedPosition] = field(default_factory=dict)
    previous: PreviousRun | None = None  # the positions the last run saw, until compared with this one's
    closed_since_last_run: list[ClosedSinceLastRun] = field(default_factory=list)


@dataclass
class _Market:
    state: MarketState
    exchange_time: datetime
    receive_mono: float
    volatility: MinuteVolatility


class MonitorStore:
    def __init__(
        self,
        clock: Clock,
        thresholds: RiskThresholds | None = None,
        vol_window_minutes: int = 60,
        market_max_age_s: float = 5.0,
    ) -> None:
        self.clock = clock
        self.market_max_age_s = market_max_age_s
        self.thresholds = thresholds or RiskThresholds()
        self._vol_window = vol_window_minutes
        self._accounts: dict[str, _Account] = {}
        self._markets: dict[tuple[Exchange, str], _Market] = {}
        self.version = 0
        self.ignored_stale_events = 0
        self.incidents: deque[str] = deque(maxlen=200)

    # --- set-up ----------------------------------------------------------------------------------------
    def add_account(self, spec: AccountSpec, rules: ExchangeRisk) -> None:
        if spec.name in self._accounts:
            raise ValueError(f"account {spec.name!r} added twice")
        self._accounts[spec.name] = _Account(spec, AccountBook(rules))
        self.version += 1

    def disable_account(self, name: str, reason: str) -> None:
        self._accounts[name].disabled_reason = reason
        self.version += 1

    def add_channel(self, channel: Channel) -> None:
        self._accounts[channel.account].channels.append(channel)

    def channels(self, account: str) -> list[Channel]:
        return self._accounts[account].channels

    def account_names(self) -> list[str]:
        return list(self._accounts)

    def book(self, account: str) -> AccountBook:
        return self._accounts[account].book

    # --- events ----------------------------------------------------------------------------------------
    def apply(self, event: Event | FundingPaid) -> bool:
        """Apply one event; False when it was ignored (unknown account, older than what we have)."""
        changed = self._apply(event)
        if changed:
            self.version += 1
        return changed

    def apply_all(self, events: Iterable[Event | FundingPaid]) -> int:
        return sum(1 for e in events if self.apply(e))

    def _apply(self, event: Event | FundingPaid) -> bool:
        if isinstance(event, MarkTick):
            return self._apply_mark(event)
        if isinstance(event, FundingPaid):
            return self._apply_funding(event)
        acc = self._accounts.get(event.account if not isinstance(event, AccountState) else event.spec.name)
        if acc is None:
            return False
        if isinstance(event, AccountState):
            return self._apply_state(acc, event)
        if isinstance(event, BalanceUpdate):
            if acc.last_balance_time is not None and event.stamp.exchange_time < acc.last_balance_time:
                self.ignored_stale_events += 1
                return False
            acc.last_balance_time = event.stamp.exchange_time
            acc.book.set_wallet_balance(event.wallet_balance)
            return True
        last = acc.last_position_time.get(event.key)
        if last is not None and event.stamp.exchange_time < last:
            self.ignored_stale_events += 1
            return False
        acc.last_position_time[event.key] = event.stamp.exchange_time
        if event.position is None:
            acc.opened_at.pop(event.key, None)
            return acc.book.remove(event.key)
        acc.opened_at.setdefault(event.key, event.position.opened_at or event.stamp.exchange_time)
        acc.book.upsert(event.position, self._mark_for(acc.spec.exchange, event.position.symbol))
        return True

    def _mark_for(self, exchange: Exchange, symbol: str) -> float | None:
        m = self._markets.get((exchange, symbol))
        return m.state.mark_price if m is not None else None

    def _apply_mark(self, tick: MarkTick) -> bool:
        key = (tick.exchange, tick.symbol)
        m = self._markets.get(key)
        if m is not None and tick.stamp.exchange_time < m.exchange_time:
            self.ignored_stale_events += 1
            return False
        if not (tick.mark_price > 0 and math.isfinite(tick.mark_price)):
            return False
        prev = m.state if m is not None else None
        state = MarketState(
            tick.symbol,
            tick.mark_price,
            index_price=tick.index_price if tick.index_price is not None else (prev.index_price if prev else None),
            oracle_price=tick.oracle_price if tick.oracle_price is not None else (prev.oracle_price if prev else None),
            funding_rate=tick.funding_rate if tick.funding_rate is not None else (prev.funding_rate if prev else None),
            next_funding_time=tick.next_funding_time
            if tick.next_funding_time is not None
            else (prev.next_funding_time if prev else None),
            funding_interval_hours=prev.funding_interval_hours if prev else _default_interval(tick.exchange),
        )
        if m is None:
            m = _Market(state, tick.stamp.exchange_time, self.clock.monotonic(), MinuteVolatility(self._vol_window))
            self._markets[key] = m
        m.state, m.exchange_time, m.receive_mono = state, tick.stamp.exchange_time, self.clock.monotonic()
        m.volatility.update(tick.stamp.exchange_time.timestamp(), tick.mark_price)
        for acc in self._accounts.values():
            if acc.spec.exchange is tick.exchange:
                acc.book.on_mark(tick.symbol, tick.mark_price)
        return True

    def set_funding_interval(self, exchange: Exchange, symbol: str, hours: float) -> None:
        m = self._markets.get((exchange, symbol))
        if m is not None:
            s = m.state
            m.state = MarketState(s.symbol, s.mark_price, s.index_price, s.oracle_price, s.funding_rate,
                                  s.next_funding_time, hours)

    def _apply_state(self, acc: _Account, state: AccountState) -> bool:
        """A full state: replaces the positions, except where the stream already said something newer;
        notices what closed while we were blind (a REST snapshot missing a position we still showed)."""
        as_of = state.as_of

        def newer_on_stream(key: tuple[str, Side]) -> bool:
            t = acc.last_position_time.get(key)
            return as_of is not None and t is not None and t > as_of

        new_keys = {p.key for p in state.positions}
        for old in acc.book.positions():
            if old.key in new_keys or newer_on_stream(old.key):
                continue
            if acc.synced and not state.from_stream:
                self.incidents.append(
                    f"{acc.spec.name}: {old.symbol} {old.side.value} closed while the stream was blind "
                    "(found by REST reconciliation)"
                )
                if old.key not in acc.liquidations:  # the adapter asks the exchange's history why
                    since = acc.last_position_time.get(old.key) or as_of or self.clock.now()
                    acc.closed_since_last_run.append(ClosedSinceLastRun(old.symbol, old.side, old.size, since, "blind"))
            acc.book.remove(old.key)
            acc.opened_at.pop(old.key, None)
        if as_of is None or acc.last_balance_time is None or acc.last_balance_time <= as_of:
            acc.book.set_wallet_balance(state.wallet_balance)
            if as_of is not None:
                acc.last_balance_time = as_of
        now = self.clock.now()
        for p in state.positions:
            if newer_on_stream(p.key):
                continue  # the stream's version is newer than this snapshot
            acc.book.upsert(p, self._mark_for(acc.spec.exchange, p.symbol) or p.mark_price)
            acc.opened_at.setdefault(p.key, p.opened_at or now)
            if as_of is not None:
                acc.last_position_time[p.key] = max(as_of, acc.last_position_time.get(p.key, as_of))
        acc.synced = True
        self._compare_with_last_run(acc)
        return True

    def all_live(self) -> bool:
        """Every channel LIVE and every active account synced: cheap, for polling."""
        now = self.clock.monotonic()
        active = [a for a in self._accounts.values() if a.disabled_reason is None]
        channels = [ch for a in active for ch in a.channels]
        return bool(channels) and all(a.synced for a in active) and all(
            ch.check(now) is ChannelState.LIVE for ch in channels
        )

    def _apply_funding(self, event: FundingPaid) -> bool:
        acc = self._accounts.get(event.account)
        return acc is not None and acc.funding.add(event.payments)

    # --- liquidations ----------------------------------------------------------------------------------
    def record_liquidation(self, liq: LiquidatedPosition, *, announce: bool = True) -> bool:
        """A liquidation the exchange reported (live, or found in its history): kept and listed until
        ``release_liquidation``; its incident line raises the alert (``announce`` False: restored from an
        earlier run, whose alert is already open). Later slices of the same leg add up."""
        acc = self._accounts.get(liq.account)
        if acc is None:
            return False
        prev = acc.liquidations.get(liq.key)
        acc.liquidations[liq.key] = prev.merged(liq) if prev is not None else liq
        if announce:
            self.incidents.append(f"{liq.account}: {liq.describe()}")
        self.version += 1
        return True

    def release_liquidation(self, account: str, symbol: str, side: Side) -> bool:
        """Its alert was acknowledged: the LIQUIDATED row goes, and with it the critical status."""
        acc = self._accounts.get(account)
        if acc is None or acc.liquidations.pop((symbol, side), None) is None:
            return False
        self.version += 1
        return True

    def liquidations(self, account: str) -> tuple[LiquidatedPosition, ...]:
        return tuple(self._accounts[account].liquidations.values())

    def set_previous_run(self, account: str, previous: PreviousRun) -> None:
        """What the last run saw; compared with this run's first full snapshot (at once if it came first)."""
        acc = self._accounts.get(account)
        if acc is None:
            return
        acc.previous = previous
        if acc.synced:
            self._compare_with_last_run(acc)

    def _compare_with_last_run(self, acc: _Account) -> None:
        prev, acc.previous = acc.previous, None
        if prev is None:
            return
        open_now = {p.key for p in acc.book.positions()}
        for symbol, side, size in prev.positions:
            if (symbol, side) not in open_now and (symbol, side) not in acc.liquidations:
                acc.closed_since_last_run.append(ClosedSinceLastRun(symbol, side, size, prev.seen_at))

    def take_closed_since_last_run(self, account: str) -> list[ClosedSinceLastRun]:
        """The positions to look up in the exchange's history (each handed out once)."""
        acc = self._accounts.get(account)
        if acc is None:
            return []
        out, acc.closed_since_last_run = acc.closed_since_last_run, []
        return out

    # --- reading ---------------------------------------------------------------------------------------
    def snapshot(self) -> MonitorSnapshot:
        now_mono = self.clock.monotonic()
        views = []
        all_feeds: list[ChannelStatus] = []
        for acc in self._accounts.values():
            view = self._account_view(acc, now_mono)
            views.append(view)
            all_feeds.extend(view.feeds)
        # Closest to liquidation first: the highest risk (None = liquidated/undefined) at the top.
        views.sort(key=_rank_key)
        return MonitorSnapshot(
            time=self.clock.now(),
            version=self.version,
            accounts=tuple(views),
            feeds=tuple(all_feeds),
            status=worst([v.status for v in views]),
            incidents=tuple(self.incidents),
        )

    def _account_view(self, acc: _Account, now_mono: float) -> AccountView:
        for ch in acc.channels:
            ch.check(now_mono)
        feeds = tuple(ch.status(now_mono) for ch in acc.channels)
        fresh = acc.synced and bool(feeds) and all(f.state is ChannelState.LIVE for f in feeds)
        liquidated = tuple(sorted(acc.liquidations.values(), key=lambda r: r.time))
        liq_status = liquidation_status(liquidated)
        if acc.disabled_reason is not None:
            return AccountView(acc.spec.name, acc.spec.exchange, None, (), feeds, False, Status.STALE, False,
                               acc.disabled_reason)
        if not acc.synced:
            return AccountView(acc.spec.name, acc.spec.exchange, None, (), feeds, False, liq_status or Status.STALE,
                               False, liquidations=liquidated)
        sigmas = {}
        for p in acc.book.positions():
            m = self._markets.get((acc.spec.exchange, p.symbol))
            sigmas[p.symbol] = m.volatility.sigma_hour() if m is not None else None
        risk = acc.book.snapshot(sigmas)
        positions = []
        statuses = [self.thresholds.status_of(risk.risk, risk.liquidated)] if risk.positions else []
        for pr in risk.positions:
            m = self._markets.get((acc.spec.exchange, pr.symbol))
            age = now_mono - m.receive_mono if m is not None else None
            rate = m.state.funding_rate if m is not None else None
            price = pr.mark_price
            if acc.spec.exchange is Exchange.HYPERLIQUID and m is not None and m.state.oracle_price is not None:
                price = m.state.oracle_price  # Hyperliquid funds on the oracle price
            next_pay = funding_cashflow(pr.side, pr.size, price, rate) if rate is not None else None
            opened = acc.opened_at.get((pr.symbol, pr.side))
            paid = acc.funding.since(pr.symbol, opened) if acc.funding else None
            st = self.thresholds.status_of(pr.risk, pr.liquidated)
            statuses.append(st)
            # The account's channels may be live while this symbol's own mark is not (a position that
            # appeared on the user stream before its symbol was subscribed).
            mark_fresh = age is not None and age <= self.market_max_age_s
            positions.append(
                PositionView(pr, fresh and mark_fresh, age, rate,
                             m.state.next_funding_time if m is not None else None, next_pay, paid, st)
            )
        if liq_status is not None:
            statuses.append(liq_status)
        status = worst(statuses)
        if not fresh and status is not Status.CRITICAL:
            status = Status.STALE
        midnight = self.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        today = acc.funding.total_since(midnight)
        return AccountView(acc.spec.name, acc.spec.exchange, risk, tuple(positions), feeds, fresh, status, True,
                           funding_today=today, liquidations=liquidated)


def _default_interval(exchange: Exchange) -> float:
    return 1.0 if exchange is Exchange.HYPERLIQUID else 8.0


def _rank_key(v: AccountView) -> tuple[int, float, str]:
    if v.risk is None:
        return (2, 0.0, v.name)
    if v.risk.risk is None:
        return (0, 0.0, v.name)  # liquidated or no equity: first
    worst_risk = max([v.risk.risk] + [p.risk.risk for p in v.positions if p.risk.risk is not None])
    return (1, -worst_risk, v.name)
