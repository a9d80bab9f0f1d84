"""The monitor's one stateful object: accounts, markets and channel health, fed by normalized events.

``apply(event)`` costs O(positions of that symbol) and marks the store dirty; ``snapshot()`` builds an
immutable view (liquidation prices, distances, funding, freshness) for readers: the UI timer, ``check``,
the alert engine. Events older than the last applied one of the same key are ignored, so a duplicated or
out-of-order frame never moves state backwards.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from liqwatch import danger
from liqwatch.account_book import AccountBook
from liqwatch.alerts.model import AlertLevel, AlertRule, max_level
from liqwatch.alerts.risk_events import RiskEventKind, event_from_incident
from liqwatch.alerts.thresholds import ThresholdMap
from liqwatch.clock import Clock
from liqwatch.disagreement import WALLET, Held, Reconciliation, Subject, wallets_agree
from liqwatch.feeds.channel import Channel, ChannelKind, ChannelState, ChannelStatus
from liqwatch.funding import funding_cashflow
from liqwatch.funding_ledger import FundingLedger
from liqwatch.liquidation_book import LiquidationBook
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition, PreviousRun, liquidation_status
from liqwatch.model import (
    AccountSpec,
    AccountState,
    BalanceUpdate,
    Exchange,
    FundingPayment,
    MarginMode,
    MarketState,
    MarkTick,
    Position,
    PositionUpdate,
    Side,
    UnevaluatedPosition,
)
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.evaluate import AccountRisk, PositionRisk, total_margin_balance
from liqwatch.risk.volatility import MinuteVolatility
from liqwatch.status import Status, worst

Event = MarkTick | PositionUpdate | BalanceUpdate | AccountState
#: The reason on each position of an account whose mode is not modelled (the account view says which mode).
MODE_NOT_MODELLED = "mode not modelled"
#: Exchange risk events that hold their account's status at their alert's level until it is acknowledged.
HELD_EVENTS = frozenset({RiskEventKind.MARGIN_CALL, RiskEventKind.CLOSED_WHILE_BLIND, RiskEventKind.AUTO_DELEVERAGE})


def supersedes(liq: LiquidatedPosition, subject: str) -> bool:
    """The liquidation is what the exchange event (its alert subject) announced or was: the account's margin
    call, or that position's close found while blind. Its alert then says what happened; the event's closes."""
    return subject in (RiskEventKind.MARGIN_CALL.value,
                       f"{RiskEventKind.CLOSED_WHILE_BLIND.value} {liq.symbol} {liq.side.value}")


@dataclass(frozen=True, slots=True)
class FundingPaid:
    """Settled funding payments of one account (a REST page or a stream event).

    ``payments`` are the exchange's own records, as booked (the account's funding and its history);
    ``legs`` are the hedge legs' shares of them (``funding_split``), or None when each symbol holds one
    position, so that a record is that position's."""

    account: str
    payments: tuple[FundingPayment, ...]
    legs: tuple[FundingPayment, ...] | None = None


@dataclass(frozen=True, slots=True)
class PositionView:
    risk: PositionRisk
    fresh: bool  # every channel feeding this value is LIVE, and its figures complete (``incomplete``)
    age_s: float | None  # age of the mark behind these figures (monotonic)
    funding_rate: float | None
    next_funding_time: datetime | None
    next_funding: float | None  # projected cash flow of the next settlement (negative = pay)
    # Settled funding since the position opened (negative = paid, positive = received): the exchange's own
    # figure where it reports one, else this leg's share of the payments since liqwatch first saw it.
    funding_paid_since_open: float | None
    status: Status  # the position's level (liqwatch.danger), freshness aside
    #: Age of the exchange's own liquidation price (when it was last reported), and whether it is fresh.
    exchange_liq_age_s: float | None = None
    exchange_liq_fresh: bool = False
    #: Why its figures are incomplete though its data is live (a cross position beside one not evaluated: the
    #: other's margin and PnL are missing from the cross equity); ``fresh`` is then False.
    incomplete: str | None = None


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
    # Positions held but not evaluated, each with its reason (marks as last known); while there is one, the
    # account reads stale. ``mode_not_modelled``: the account's margin mode is not implemented, so no figure
    # of it is computed (``risk`` None) and every position is listed here.
    unevaluated: tuple[UnevaluatedPosition, ...] = ()
    mode_not_modelled: str | None = None
    #: Liquidations not acknowledged yet (oldest first): listed as LIQUIDATED, and the account is critical.
    liquidations: tuple[LiquidatedPosition, ...] = ()
    danger: Status = Status.OK  # the level its figures reach (liqwatch.danger), freshness aside
    #: Synced and every channel LIVE. ``fresh`` also needs every position evaluated: a position not evaluated
    #: leaves its margin and PnL out of the account's figures, so they are not shown as fresh.
    feeds_live: bool = False
    #: Exchange risk events whose alert is not acknowledged (their alert subjects): the account's status is
    #: at least their level meanwhile, as for a liquidation.
    exchange_events: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class MonitorSnapshot:
    time: datetime
    version: int
    accounts: tuple[AccountView, ...]
    feeds: tuple[ChannelStatus, ...]
    status: Status
    incidents: tuple[str, ...] = ()
    #: Every settled payment the store holds, as the exchanges booked them: (account, payment). The same
    #: tuple from one snapshot to the next until a payment arrives, so a reader can tell "nothing new" cheaply.
    funding_payments: tuple[tuple[str, FundingPayment], ...] = ()

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
    funding: FundingLedger = field(default_factory=FundingLedger)  # the exchange's records
    leg_funding: FundingLedger = field(default_factory=FundingLedger)  # each position's share of them
    opened_at: dict[tuple[str, Side], datetime] = field(default_factory=dict)
    #: (the exchange's reported equity, ours from the same snapshot) at the last snapshot that reported one.
    reported_equity: tuple[float, float] | None = None
    unevaluated: dict[tuple[str, Side], UnevaluatedPosition] = field(default_factory=dict)
    mode_not_modelled: str | None = None
    halted: bool = False  # the adapter stopped watching (a mode whose API it cannot use): nothing to wait for
    liq_mono: dict[tuple[str, Side], float] = field(default_factory=dict)  # exchange's liq price reported
    disagreed: set[Subject] = field(default_factory=set)  # at the previous reconciliation
    levels: dict[tuple[AlertRule, str], AlertLevel] = field(default_factory=dict)  # held, for hysteresis
    liq: LiquidationBook = field(default_factory=LiquidationBook)
    events: dict[str, AlertLevel] = field(default_factory=dict)  # exchange risk events not acknowledged

    def pinned(self) -> Status | None:
        """The status its unacknowledged liquidations and exchange risk events hold it at, if any."""
        held = [*([s] if (s := liquidation_status(tuple(self.liq.records.values()))) is not None else []),
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


class MonitorStore:
    def __init__(
        self,
        clock: Clock,
        thresholds: ThresholdMap | None = None,
        vol_window_minutes: int = 60,
        market_max_age_s: float = 5.0,
    ) -> None:
        self.clock = clock
        self.market_max_age_s = market_max_age_s
        self.thresholds = thresholds or ThresholdMap()  # each account's own, as its alerts use them
        self._vol_window = vol_window_minutes
        self._accounts: dict[str, _Account] = {}
        self._markets: dict[tuple[Exchange, str], _Market] = {}
        # Per market, apart from _Market: candles may seed a market's volatility before its first mark.
        self._vols: dict[tuple[Exchange, str], MinuteVolatility] = {}
        self._vol_claims: set[tuple[Exchange, str]] = set()
        self.version = 0
        self.ignored_stale_events = 0
        self.incidents: deque[str] = deque(maxlen=200)
        self._funding_export: tuple[tuple[str, FundingPayment], ...] | None = None

    # --- set-up ----------------------------------------------------------------------------------------
    def add_account(self, spec: AccountSpec, rules: ExchangeRisk) -> None:
        if spec.name in self._accounts:
            raise ValueError(f"account {spec.name!r} added twice")
        self._accounts[spec.name] = _Account(spec, AccountBook(rules))
        self.version += 1

    def disable_account(self, name: str, reason: str) -> None:
        self._accounts[name].disabled_reason = reason
        self.version += 1

    def set_mode_not_modelled(self, name: str, reason: str, *, halted: bool = False) -> None:
        """The account runs under margin rules liqwatch does not implement: never evaluated, reads stale.
        ``halted``: its adapter stopped (e.g. the exchange closes this API to such accounts)."""
        acc = self._accounts[name]
        acc.mode_not_modelled, acc.halted = reason, halted
        _unevaluate_book(acc)
        self.version += 1

    def add_channel(self, channel: Channel) -> None:
        self._accounts[channel.account].channels.append(channel)

    def channels(self, account: str) -> list[Channel]:
        return self._accounts[account].channels

    def account_names(self) -> list[str]:
        return list(self._accounts)

    def book(self, account: str) -> AccountBook:
        return self._accounts[account].book

    def opened_at(self, account: str, key: tuple[str, Side]) -> datetime | None:
        """When the position opened, or when liqwatch first saw it."""
        return self._accounts[account].opened_at.get(key)

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
        pos = event.position
        if pos is None:
            return _forget(acc, event.key)
        if isinstance(pos, Position) and acc.mode_not_modelled is not None:
            pos = UnevaluatedPosition.of(pos, MODE_NOT_MODELLED)
        # Opened on the exchange's clock (its own open time, else this event's), evaluated or not.
        acc.opened_at.setdefault(event.key, (pos.opened_at if isinstance(pos, Position) else None)
                                 or event.stamp.exchange_time)
        if isinstance(pos, UnevaluatedPosition):
            acc.book.remove(event.key)
            acc.unevaluated[event.key] = pos
            return True
        acc.unevaluated.pop(event.key, None)
        old = next((p for p in acc.book.positions() if p.key == event.key), None)
        self._note_liq(acc, pos, old)
        acc.book.upsert(pos, self._mark_for(acc.spec.exchange, pos.symbol))
        return True

    def _mark_for(self, exchange: Exchange, symbol: str) -> float | None:
        m = self._markets.get((exchange, symbol))
        return m.state.mark_price if m is not None else None

    def _apply_mark(self, tick: MarkTick) -> bool:
        key = (tick.exchange, tick.symbol)
        m = self._markets.get(key)
        if m is not None and not tick.by_arrival and tick.stamp.exchange_time < m.exchange_time:
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
            m = _Market(state, tick.stamp.exchange_time, self.clock.monotonic(), self.volatility(key[0], key[1]))
            self._markets[key] = m
        m.state, m.exchange_time, m.receive_mono = state, tick.stamp.exchange_time, self.clock.monotonic()
        m.volatility.update(tick.stamp.exchange_time.timestamp(), tick.mark_price, realign=tick.by_arrival)
        for acc in self._accounts.values():
            if acc.spec.exchange is tick.exchange:
                acc.book.on_mark(tick.symbol, tick.mark_price)
        return True

    # --- volatility seeded from candles ----------------------------------------------------------------
    def volatility(self, exchange: Exchange, symbol: str) -> MinuteVolatility:
        """The σ estimator of one market (created empty on first use)."""
        key = (exchange, symbol)
        vol = self._vols.get(key)
        if vol is None:
            vol = self._vols[key] = MinuteVolatility(self._vol_window)
        return vol

    def claim_volatility_seed(self, exchange: Exchange, symbol: str) -> bool:
        """True for the first caller only: accounts sharing a market fetch its candles once."""
        key = (exchange, symbol)
        if key in self._vol_claims:
            return False
        self._vol_claims.add(key)
        return True

    def release_volatility_seed(self, exchange: Exchange, symbol: str) -> None:
        """A fetch that failed: another account on the same market may try."""
        self._vol_claims.discard((exchange, symbol))

    def seed_volatility(
        self,
        exchange: Exchange,
        symbol: str,
        minute_closes: Sequence[tuple[float, float]],
        hour_closes: Sequence[tuple[float, float]],
    ) -> None:
        """Seed a market's σ from the exchange's mark-price candles: ``(open time in epoch seconds, close)``
        of 1-minute and 1-hour candles. Live marks then take over (see liqwatch.risk.volatility)."""
        self.volatility(exchange, symbol).seed(minute_closes, hour_closes)
        self.version += 1

    def set_funding_interval(self, exchange: Exchange, symbol: str, hours: float) -> None:
        m = self._markets.get((exchange, symbol))
        if m is not None:
            s = m.state
            m.state = MarketState(s.symbol, s.mark_price, s.index_price, s.oracle_price, s.funding_rate,
                                  s.next_funding_time, hours)

    def _apply_state(self, acc: _Account, state: AccountState) -> bool:
        """A full state: replaces the positions, except where the stream already said something newer;
        notices what closed while we were blind (a REST snapshot missing a position we still showed). A
        position held but not evaluated follows the same rules as one evaluated: it is still held."""
        as_of = state.as_of
        rest = not state.from_stream
        positions: tuple[Position, ...] = state.positions
        unevaluated = state.unevaluated
        acc.mode_not_modelled = state.mode_not_modelled
        if state.mode_not_modelled is not None:  # nothing is evaluated under rules that are not the account's
            unevaluated += tuple(UnevaluatedPosition.of(p, MODE_NOT_MODELLED) for p in state.positions)
            positions = ()
        held: dict[tuple[str, Side], Held] = {**acc.unevaluated, **{p.key: p for p in acc.book.positions()}}
        new: dict[tuple[str, Side], Held] = {**{u.key: u for u in unevaluated}, **{p.key: p for p in positions}}
        rec = Reconciliation(acc.spec.name, rest, as_of, acc.last_position_time, acc.disagreed, held, new,
                             self.incidents.append)
        for key, old in held.items():
            if key in new or rec.newer_on_stream(key):
                continue
            # A stream version replaced by REST has its own incident: no close the exchange never made.
            if acc.synced and rest and key not in rec.replaced:
                self._exchange_event(acc, f"{old.symbol} {old.side.value} closed while the stream was blind "
                                     "(found by REST reconciliation)")
                # The adapter asks the exchange's history why, from when it was last seen (exchange time).
                acc.liq.closed_while_blind(old.symbol, old.side, old.size, acc.last_position_time.get(key) or as_of)
            _forget(acc, key)
            if as_of is not None:
                acc.last_position_time[key] = as_of  # what the stream says later still applies
        if (as_of is None or acc.last_balance_time is None or acc.last_balance_time <= as_of
                or not rec.stream_wins(WALLET, wallets_agree(acc.book.wallet_balance, state.wallet_balance))):
            acc.book.set_wallet_balance(state.wallet_balance)
            if as_of is not None:
                acc.last_balance_time = as_of
        for key, p in new.items():
            if rec.newer_on_stream(key):
                continue  # the stream's version is newer than this snapshot
            if isinstance(p, Position):
                acc.unevaluated.pop(key, None)
                self._note_liq(acc, p, None)
                acc.book.upsert(p, self._mark_for(acc.spec.exchange, p.symbol) or p.mark_price)
            else:
                acc.book.remove(key)
                acc.unevaluated[key] = p
            # First seen here: opened at its own open time, else the snapshot's (exchange) time.
            opened = (p.opened_at if isinstance(p, Position) else None) or as_of
            if opened is not None:
                acc.opened_at.setdefault(key, opened)
            if as_of is not None:
                acc.last_position_time[key] = as_of
        if rest:
            acc.disagreed = rec.disagreed
        if state.exchange_margin_balance is not None:
            # Ours from the snapshot's own marks and wallets, so the comparison is of definitions, not of time.
            ours = total_margin_balance(acc.book.rules, state.wallet_balance, state.positions)
            acc.reported_equity = (state.exchange_margin_balance, ours)
        if state.mode_not_modelled is not None:
            _unevaluate_book(acc)  # a stream version kept over the snapshot's is not evaluated either
        acc.synced = True
        self._compare_with_last_run(acc)
        return True

    def _note_liq(self, acc: _Account, pos: Position, old: Position | None) -> None:
        """When the exchange last reported this position's liquidation price: a price carried over from the
        previous version (Binance's stream sends none) keeps its age."""
        if pos.exchange_liquidation_price is None:
            acc.liq_mono.pop(pos.key, None)
        elif old is None or old.exchange_liquidation_price != pos.exchange_liquidation_price:
            acc.liq_mono[pos.key] = self.clock.monotonic()

    def forget_times_after(self, account: str, limit: datetime) -> int:
        """Drop every ordering time of ``account`` (and of its exchange's marks) later than ``limit``, the
        exchange's clock as just measured: such a time cannot be real, and keeping it would make every
        genuine event and snapshot look older. Returns how many of the account's own were dropped."""
        acc = self._accounts.get(account)
        if acc is None:
            return 0
        dropped = [k for k, t in acc.last_position_time.items() if t > limit]
        for k in dropped:
            del acc.last_position_time[k]
        n = len(dropped)
        if acc.last_balance_time is not None and acc.last_balance_time > limit:
            acc.last_balance_time, n = None, n + 1
        for (exchange, _), m in self._markets.items():
            if exchange is acc.spec.exchange and m.exchange_time > limit:
                m.exchange_time = _EPOCH  # marks are re-sent every second: no incident for them
        if n:
            self.incidents.append(f"{account}: {n} time(s) ahead of the exchange's clock dropped at reconciliation")
        return n

    def all_live(self) -> bool:
        """Every channel LIVE and every active account synced: cheap, for polling."""
        now = self.clock.monotonic()
        active = [a for a in self._accounts.values() if a.disabled_reason is None and not a.halted]
        channels = [ch for a in active for ch in a.channels]
        return bool(channels) and all(a.synced for a in active) and all(
            ch.check(now) is ChannelState.LIVE for ch in channels
        )

    def _apply_funding(self, event: FundingPaid) -> bool:
        acc = self._accounts.get(event.account)
        if acc is None:
            return False
        booked = acc.funding.add(event.payments)
        if booked:
            self._funding_export = None
        shares = acc.leg_funding.add(event.payments if event.legs is None else event.legs)
        return booked or shares

    def _funding_payments(self) -> tuple[tuple[str, FundingPayment], ...]:
        if self._funding_export is None:
            self._funding_export = tuple((name, p) for name, acc in self._accounts.items()
                                         for p in acc.funding.payments())
        return self._funding_export

    def set_next_funding_time(self, exchange: Exchange, symbol: str, when: datetime) -> None:
        """The exchange's own next settlement time, from a source other than the mark stream (Hyperliquid
        ``predictedFundings``)."""
        m = self._markets.get((exchange, symbol))
        if m is not None and m.state.next_funding_time != when:
            s = m.state
            m.state = MarketState(s.symbol, s.mark_price, s.index_price, s.oracle_price, s.funding_rate, when,
                                  s.funding_interval_hours)
            self.version += 1

    # --- liquidations ----------------------------------------------------------------------------------
    def record_liquidation(self, liq: LiquidatedPosition, *, announce: bool = True) -> bool:
        """A liquidation the exchange reported (live, or found in its history): kept and listed until
        ``release_liquidation``; its incident line raises the alert (``announce`` False: restored from an
        earlier run, whose alert is already open). Later slices of the same leg add up."""
        acc = self._accounts.get(liq.account)
        if acc is None:
            return False
        acc.liq.record(liq)
        for subject in [s for s in acc.events if supersedes(liq, s)]:
            del acc.events[subject]
        if announce:
            self.incidents.append(f"{liq.account}: {liq.describe()}")
        self.version += 1
        return True

    def release_liquidation(self, account: str, symbol: str, side: Side) -> bool:
        """Its alert was acknowledged: the LIQUIDATED row goes, and with it the critical status."""
        acc = self._accounts.get(account)
        if acc is None or not acc.liq.release((symbol, side)):
            return False
        self.version += 1
        return True

    def report_exchange_event(self, account: str, what: str) -> None:
        """An exchange risk event (a margin call, an auto-deleveraging): its incident line raises the alert,
        and the account's status stays at least at that alert's level until it is acknowledged."""
        acc = self._accounts.get(account)
        if acc is None:
            self.incidents.append(f"{account}: {what}")
            return
        self._exchange_event(acc, what)
        self.version += 1

    def _exchange_event(self, acc: _Account, what: str) -> None:
        text = f"{acc.spec.name}: {what}"
        self.incidents.append(text)
        event = event_from_incident(text, (acc.spec.name,))
        if event.kind in HELD_EVENTS and not any(supersedes(r, event.subject) for r in acc.liquidations.values()):
            acc.events[event.subject] = max_level(acc.events.get(event.subject), event.level) or event.level

    def hold_exchange_event(self, account: str, subject: str, level: AlertLevel) -> bool:
        """An exchange event's alert restored from the last run, not acknowledged: it holds the status again."""
        acc = self._accounts.get(account)
        if acc is None or subject.split(" ")[0] not in {k.value for k in HELD_EVENTS}:
            return False
        acc.events[subject] = level
        self.version += 1
        return True

    def release_exchange_event(self, account: str, subject: str) -> bool:
        """Its alert was acknowledged: the account's status no longer holds at its level."""
        acc = self._accounts.get(account)
        if acc is None or acc.events.pop(subject, None) is None:
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
        acc.liq.previous = previous
        if acc.synced:
            self._compare_with_last_run(acc)

    def _compare_with_last_run(self, acc: _Account) -> None:
        acc.liq.compare_with_last_run({p.key for p in acc.book.positions()} | set(acc.unevaluated))

    def take_closed_since_last_run(self, account: str, to_exchange: Callable[[datetime], datetime] | None = None,
                                   ) -> list[ClosedSinceLastRun]:
        """The positions to look up in the exchange's history (each handed out once), each ``since`` on the
        exchange's clock. ``to_exchange``: the exchange's time at a local wall time (the adapter's measured
        clock), for the last run's "seen at"; None takes the local clock as right."""
        acc = self._accounts.get(account)
        return acc.liq.take(to_exchange or (lambda t: t)) if acc is not None else []

    # --- reading ---------------------------------------------------------------------------------------
    def snapshot(self) -> MonitorSnapshot:
        now_mono = self.clock.monotonic()
        views = []
        all_feeds: list[ChannelStatus] = []
        for acc in self._accounts.values():
            view = self._account_view(acc, now_mono)
            views.append(view)
            all_feeds.extend(view.feeds)
        # Closest to liquidation first (the nearest position's distance; liquidated or no equity at the top).
        views.sort(key=_rank_key)
        return MonitorSnapshot(
            time=self.clock.now(),
            version=self.version,
            accounts=tuple(views),
            feeds=tuple(all_feeds),
            status=worst([v.status for v in views]),
            incidents=tuple(self.incidents),
            funding_payments=self._funding_payments(),
        )

    def _account_view(self, acc: _Account, now_mono: float) -> AccountView:
        for ch in acc.channels:
            ch.check(now_mono)
        feeds = tuple(ch.status(now_mono) for ch in acc.channels)
        live = acc.synced and bool(feeds) and all(f.state is ChannelState.LIVE for f in feeds)
        fresh = live and not acc.unevaluated
        liquidated = tuple(sorted(acc.liquidations.values(), key=lambda r: r.time))
        # Unacknowledged liquidations and exchange risk events hold the status, whatever else it shows.
        pinned = acc.pinned()
        events = tuple(sorted(acc.events))
        if acc.disabled_reason is not None:
            return AccountView(acc.spec.name, acc.spec.exchange, None, (), feeds, False, pinned or Status.STALE,
                               False, acc.disabled_reason, liquidations=liquidated, exchange_events=events)
        midnight = self.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
        today = acc.funding.total_since(midnight)
        unevaluated = tuple(self._with_mark(acc.spec.exchange, u) for u in acc.unevaluated.values())
        if acc.mode_not_modelled is not None:
            # No figure computed under rules that are not the account's: stale, with the reason.
            return AccountView(acc.spec.name, acc.spec.exchange, None, (), feeds, False, pinned or Status.STALE,
                               acc.synced, funding_today=today, unevaluated=unevaluated,
                               mode_not_modelled=acc.mode_not_modelled, liquidations=liquidated,
                               exchange_events=events)
        if not acc.synced:
            return AccountView(acc.spec.name, acc.spec.exchange, None, (), feeds, False, pinned or Status.STALE,
                               False, liquidations=liquidated, exchange_events=events)
        sigmas = {}
        for p in acc.book.positions():
            vol = self._vols.get((acc.spec.exchange, p.symbol))
            sigmas[p.symbol] = vol.sigma_hour() if vol is not None else None
        risk = acc.book.snapshot(sigmas)
        if acc.reported_equity is not None:
            reported, ours = acc.reported_equity
            risk = replace(risk, exchange_margin_balance=reported, exchange_margin_balance_gap=ours - reported)
        # The cross figures lack a not-evaluated position's margin and PnL unless it is known to be isolated.
        incomplete = next((f"{u.symbol} {u.side.value} not evaluated" for u in unevaluated
                           if u.margin_mode is not MarginMode.ISOLATED), None)
        # Which subjects have fresh figures, as the alerts judge them (``PositionView.fresh``, ``fresh``).
        pos_fresh = {danger.subject_of(pr): live and self._mark_fresh(acc.spec.exchange, pr.symbol, now_mono)
                     and (incomplete is None or pr.margin_mode is not MarginMode.CROSS) for pr in risk.positions}

        def frozen(subject: str) -> bool:
            return not fresh if subject == "" else not pos_fresh.get(subject, False)

        def held_level(rule: AlertRule, subject: str) -> AlertLevel | None:
            return acc.levels.get((rule, subject))

        # The account's own thresholds, with the levels held since the last snapshot; on data that is not
        # fresh the levels stay as they were, exactly as its alerts are frozen (one held level for both).
        assessment = danger.hold(danger.assess(risk, self.thresholds.for_account(acc.spec.name), held_level),
                                 frozen, held_level)
        # A position not evaluated keeps the levels it had (as its alerts are held), never cleared by it.
        missing = {danger.subject_of(u) for u in unevaluated}
        kept = {k: v for k, v in acc.levels.items() if k[1] in missing}
        acc.levels = {(r.rule, r.subject): r.level for r in assessment.readings if r.level is not None} | kept
        positions = []
        held = {p.key: p for p in acc.book.positions()}
        # The positions and wallet as last confirmed: the age of the account's quiet channels (their last
        # event or reconciliation).
        state_age = max((f.age_s for f in feeds if f.kind is ChannelKind.QUIET and f.age_s is not None), default=None)
        liq_limit = max((ch.max_age_s for ch in acc.channels if ch.kind is ChannelKind.QUIET),
                        default=self.market_max_age_s)
        for pr in risk.positions:
            m = self._markets.get((acc.spec.exchange, pr.symbol))
            age = now_mono - m.receive_mono if m is not None else None
            rate = m.state.funding_rate if m is not None else None
            price = pr.mark_price
            if acc.spec.exchange is Exchange.HYPERLIQUID and m is not None and m.state.oracle_price is not None:
                price = m.state.oracle_price  # Hyperliquid funds on the oracle price
            next_pay = funding_cashflow(pr.side, pr.size, price, rate) if rate is not None else None
            opened = acc.opened_at.get((pr.symbol, pr.side))
            pos = held.get((pr.symbol, pr.side))
            if pos is not None and pos.exchange_funding_since_open is not None:
                paid: float | None = pos.exchange_funding_since_open
            else:
                paid = acc.leg_funding.since(pr.symbol, opened, pr.side) if acc.leg_funding else None
            st = danger.status_of(assessment.position_level(danger.subject_of(pr), pr.margin_mode))
            mark_fresh = self._mark_fresh(acc.spec.exchange, pr.symbol, now_mono)
            # A row's age is that of its oldest data: its mark, or the positions and wallet as last confirmed.
            age = max((a for a in (age, state_age) if a is not None), default=None)
            liq_at = acc.liq_mono.get((pr.symbol, pr.side))
            liq_age = now_mono - liq_at if liq_at is not None else None
            why = incomplete if pr.margin_mode is MarginMode.CROSS else None
            positions.append(
                PositionView(pr, live and mark_fresh and why is None, age, rate,
                             m.state.next_funding_time if m is not None else None, next_pay, paid, st,
                             exchange_liq_age_s=liq_age,
                             exchange_liq_fresh=live and liq_age is not None and liq_age <= liq_limit,
                             incomplete=why)
            )
        # One level (liqwatch.danger), and an unacknowledged liquidation or exchange event holds the account.
        level = worst([assessment.status, *(danger.status_of(v) for v in kept.values()),
                       *([pinned] if pinned is not None else [])])
        status = level
        # A position not evaluated may hide danger (its margin is missing from the account's): never "ok". Nor
        # while a position's own figures are not fresh: its levels are held, not judged (as its alerts).
        if not (fresh and all(pos_fresh.values())) and status is not Status.CRITICAL:
            status = Status.STALE
        return AccountView(acc.spec.name, acc.spec.exchange, risk, tuple(positions), feeds, fresh, status, True,
                           funding_today=today, unevaluated=unevaluated, liquidations=liquidated, danger=level,
                           feeds_live=live, exchange_events=events)

    def _mark_fresh(self, exchange: Exchange, symbol: str, now_mono: float) -> bool:
        """The symbol's own mark is recent: the account's channels may be live while it is not (a position
        that appeared on the user stream before its symbol was subscribed)."""
        m = self._markets.get((exchange, symbol))
        return m is not None and now_mono - m.receive_mono <= self.market_max_age_s

    def _with_mark(self, exchange: Exchange, u: UnevaluatedPosition) -> UnevaluatedPosition:
        mark = self._mark_for(exchange, u.symbol)
        return u if mark is None or mark == u.mark_price else replace(u, mark_price=mark)


def _forget(acc: _Account, key: tuple[str, Side]) -> bool:
    """The position is no longer held (evaluated or not): True if it was."""
    acc.opened_at.pop(key, None)
    acc.liq_mono.pop(key, None)
    had = acc.unevaluated.pop(key, None) is not None
    return acc.book.remove(key) or had


def _unevaluate_book(acc: _Account) -> None:
    for pos in acc.book.positions():
        acc.unevaluated[pos.key] = UnevaluatedPosition.of(pos, MODE_NOT_MODELLED)
        acc.book.remove(pos.key)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _default_interval(exchange: Exchange) -> float:
    return 1.0 if exchange is Exchange.HYPERLIQUID else 8.0


def nearest_distance(v: AccountView) -> float | None:
    """How close the account is to liquidation: its nearest position's distance in % (None: unknown)."""
    known = [p.risk.distance_to_liquidation_pct for p in v.positions if p.risk.distance_to_liquidation_pct is not None]
    return min(known, default=None)


def _rank_key(v: AccountView) -> tuple[int, float, str]:
    # Closest to liquidation first, by its nearest position's distance: liquidated or without equity
    # (or with a liquidation not acknowledged yet) first, then by distance, then accounts without positions,
    # then those without data yet.
    if v.liquidations:
        return (0, 0.0, v.name)
    if v.risk is None:
        return (3, 0.0, v.name)
    if v.risk.equity_gone or v.risk.liquidated or any(p.risk.liquidated for p in v.positions):
        return (0, 0.0, v.name)
    nearest = nearest_distance(v)
    if nearest is None:
        return (2, 0.0, v.name)
    return (1, nearest, v.name)
