"""The monitor's one stateful object: accounts, markets and channel health, fed by normalized events.

``apply(event)`` costs O(positions of that symbol); ``snapshot()`` builds an immutable view (``read_model``).
Events older than the last applied one of the same key are ignored, so a duplicated or out-of-order frame
never moves state backwards.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from liqwatch import store_snapshot
from liqwatch.account_book import AccountBook
from liqwatch.clock import Clock
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.disagreement import WALLET, Held, Reconciliation, wallets_agree
from liqwatch.feed_channel import Channel, ChannelState
from liqwatch.feed_events import FeedEvent
from liqwatch.funding_ledger import FundingPaid
from liqwatch.loop_lag import LoopLag
from liqwatch.model import (
    AccountSpec,
    AccountState,
    BalanceUpdate,
    ExchangeId,
    FundingPayment,
    MarketState,
    MarkTick,
    Position,
    PositionUpdate,
    Side,
    UnevaluatedPosition,
)
from liqwatch.read_model import AccountView, MonitorSnapshot, PositionView, _rank_key, nearest_distance
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.evaluate import snapshot_free_margin, total_margin_balance
from liqwatch.risk.volatility import MinuteVolatility
from liqwatch.risk_events import EventLog, RiskEvent, RiskEventKind
from liqwatch.store_conditions import ConditionsMixin
from liqwatch.store_feed_events import apply_feed_event
from liqwatch.store_incremental import ViewCache
from liqwatch.store_liquidations import LiquidationsMixin
from liqwatch.store_markets import MarketsMixin
from liqwatch.store_reported import apply_reported
from liqwatch.store_state import (
    HELD_EVENTS,
    MODE_NOT_MODELLED,
    _Account,
    _forget,
    _holds,
    _Market,
    _unevaluate_book,
    hold_levels,
    supersedes,
)

# The read model lives in liqwatch.read_model (built by liqwatch.store_snapshot), the per-account state in
# liqwatch.store_state; their names are importable from here as before.
__all__ = [
    "HELD_EVENTS",
    "MODE_NOT_MODELLED",
    "AccountView",
    "Event",
    "FundingPaid",
    "MonitorSnapshot",
    "MonitorStore",
    "PositionView",
    "_rank_key",
    "nearest_distance",
    "supersedes",
]

Event = MarkTick | PositionUpdate | BalanceUpdate | AccountState


class MonitorStore(LiquidationsMixin, ConditionsMixin, MarketsMixin):  # each a ChangesMixin
    def __init__(
        self,
        clock: Clock,
        thresholds: ThresholdMap | None = None,
        vol_window_minutes: int = 60,
        market_max_age_s: float = 5.0,
    ) -> None:
        self.clock = clock
        self.market_max_age_s = market_max_age_s
        self._init_changes(thresholds or ThresholdMap())  # version, listeners, dirty accounts, thresholds
        self._vol_window = vol_window_minutes
        self._accounts: dict[str, _Account] = {}
        self._markets: dict[tuple[ExchangeId, str], _Market] = {}
        # Per market, apart from _Market: candles may seed a market's volatility before its first mark.
        self._vols: dict[tuple[ExchangeId, str], MinuteVolatility] = {}
        self._vol_claims: set[tuple[ExchangeId, str]] = set()
        self._funding_intervals: dict[tuple[ExchangeId, str], float] = {}  # each symbol's own, where told
        self._views = ViewCache()  # the last build's views, reused while their inputs have not moved
        self.loop_lag: LoopLag | None = None  # the event loop's stall detector (liqwatch.loop_lag), if run
        self.ignored_stale_events = 0
        self.events = EventLog()  # typed risk events and feed notes, bounded (``report``)
        self._funding_export: tuple[tuple[str, FundingPayment], ...] | None = None

    @property
    def incidents(self) -> tuple[str, ...]:
        """The event log's lines, for display (``"<account>: <what happened>"``)."""
        return tuple(e.line for e in self.events.items())

    # --- set-up ----------------------------------------------------------------------------------------
    def add_account(self, spec: AccountSpec, rules: ExchangeRisk, *, reported_only: bool = False) -> None:
        """``reported_only``: a generic (ccxt) account, whose figures are the exchange's own
        (liqwatch.store_reported); its book stays empty and ``rules`` evaluate nothing."""
        if spec.name in self._accounts:
            raise ValueError(f"account {spec.name!r} added twice")
        self._accounts[spec.name] = _Account(spec, AccountBook(rules), reported_only=reported_only)
        self._bump(spec.name)

    def disable_account(self, name: str, reason: str) -> None:
        self._accounts[name].disabled_reason = reason
        self._bump(name)

    def set_mode_not_modelled(self, name: str, reason: str, *, halted: bool = False) -> None:
        """The account runs under margin rules liqwatch does not implement: never evaluated, reads stale.
        ``halted``: its adapter stopped (e.g. the exchange closes this API to such accounts)."""
        acc = self._accounts[name]
        acc.mode_not_modelled, acc.halted = reason, halted
        _unevaluate_book(acc)
        self._bump(name)

    def add_channel(self, channel: Channel) -> None:
        self._accounts[channel.account].channels.append(channel)
        # A transition (the socket closed, a resync, STALE) is a change of what is shown: the engine wakes.
        channel.on_transition = lambda: self._bump(channel.account)
        self._bump(channel.account)

    def channels(self, account: str) -> list[Channel]:
        return self._accounts[account].channels

    def account_names(self) -> list[str]:
        return list(self._accounts)

    def book(self, account: str) -> AccountBook:
        return self._accounts[account].book

    # --- events ----------------------------------------------------------------------------------------
    def apply(self, event: Event | FundingPaid | FeedEvent) -> bool:
        """Apply one event; False when it was ignored (unknown account, older than what we have). The store
        is the feeds' ``FeedSink`` (liqwatch.feeds.sink)."""
        if not isinstance(event, Event | FundingPaid):
            return apply_feed_event(self, event)
        changed = self._apply(event)
        if changed:
            self._bump()  # the accounts it touched were marked dirty by _apply
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
        self._dirty_add(acc.spec.name)
        if isinstance(event, AccountState):
            if acc.reported_only:
                return apply_reported(self, acc, event)
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
        old = acc.book.get(event.key)
        self._note_liq(acc, pos, old)
        acc.book.upsert(pos, self._mark_for(acc.spec.exchange, pos.symbol))
        return True

    def _mark_for(self, exchange: ExchangeId, symbol: str) -> float | None:
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
            funding_interval_hours=self.funding_interval(tick.exchange, tick.symbol),
        )
        if m is None:
            m = _Market(state, tick.stamp.exchange_time, self.clock.monotonic(), self.volatility(key[0], key[1]))
            self._markets[key] = m
        m.state, m.exchange_time, m.receive_mono = state, tick.stamp.exchange_time, self.clock.monotonic()
        m.volatility.update(tick.stamp.exchange_time.timestamp(), tick.mark_price, realign=tick.by_arrival)
        for acc in self._accounts.values():
            # Only the accounts holding the symbol (evaluated, not evaluated, or reported) may change view.
            if acc.spec.exchange == tick.exchange and (acc.book.on_mark(tick.symbol, tick.mark_price)
                                                       or _holds(acc, tick.symbol)):
                self._dirty_add(acc.spec.name)
        return True

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
                             lambda text: self.note(acc.spec.name, text))
        for key, old in held.items():
            if key in new or rec.newer_on_stream(key):
                continue
            # A stream version replaced by REST has its own incident: no close the exchange never made.
            if acc.synced and rest and key not in rec.replaced:
                self.report(RiskEvent(
                    RiskEventKind.CLOSED_WHILE_BLIND, acc.spec.name, f"{old.symbol} {old.side.value} closed while "
                    "the stream was blind (found by REST reconciliation)", self.clock.now(),
                    exchange=acc.spec.exchange, symbol=old.symbol, side=old.side, size=old.size))
                # The adapter asks the exchange's history why, from when it was last seen (exchange time).
                # A size not known (a position not evaluated without one) is none before: 0, never shown.
                acc.liq.closed_while_blind(old.symbol, old.side, old.size if old.size is not None else 0.0,
                                           acc.last_position_time.get(key) or as_of)
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
        if state.exchange_available_balance is not None or state.exchange_withdrawable is not None:
            free = snapshot_free_margin(acc.book.rules, state.wallet_balance, state.positions)
            acc.reported_free = (state.exchange_available_balance, state.exchange_withdrawable, free)
        elif rest:
            # A full snapshot that no longer carries them: the exchange's figures of an earlier one are not
            # its current ones (a stream state never carries them, so it leaves them as they are).
            acc.reported_free = None
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

    def all_live(self, now: float | None = None) -> bool:
        """Every channel LIVE and every active account synced (at ``now``, default now): cheap, for polling."""
        now = self.clock.monotonic() if now is None else now
        active = [a for a in self._accounts.values() if a.disabled_reason is None and not a.halted]
        channels = [ch for a in active for ch in a.channels]
        return bool(channels) and all(a.synced for a in active) and all(
            ch.state_at(now) is ChannelState.LIVE for ch in channels)

    def _apply_funding(self, event: FundingPaid) -> bool:
        acc = self._accounts.get(event.account)
        if acc is None:
            return False
        self._dirty_add(acc.spec.name)
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

    # --- reading ---------------------------------------------------------------------------------------
    def snapshot(self, *, full: bool = False) -> MonitorSnapshot:
        """The engine's step (monitor_engine): the loop-lag check, a pure build (store_snapshot), levels held.
        ``full``: every account evaluated afresh (the build otherwise evaluates only those whose inputs moved,
        and reuses the others' views): the reference the incremental build is tested against."""
        now_mono = self.clock.monotonic()
        if self.loop_lag is not None:
            self.loop_lag.check(now_mono)  # a stall whose timer has not run yet holds the channels now
        snap = (store_snapshot.full_build if full else store_snapshot.build)(self, now_mono)
        self.hold_levels(snap)
        return snap

    def full_snapshot(self) -> MonitorSnapshot:
        """``snapshot(full=True)``."""
        return self.snapshot(full=True)

    def next_change_mono(self) -> float:
        """When (monotonic) a view of the last build may change by time alone (a channel or a mark reaching
        its freshness limit): the engine builds then, whatever else happens."""
        return self._views.next_change

    def hold_levels(self, snap: MonitorSnapshot) -> None:
        """Hold the danger levels ``snap`` was judged at for the next build (hysteresis, as the alerts')."""
        hold_levels(self._accounts, snap)


