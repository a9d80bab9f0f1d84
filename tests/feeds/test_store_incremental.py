"""The incremental snapshot (liqwatch.store_incremental): only the accounts whose inputs moved are evaluated
again, an unchanged account keeps its view object, and the figures are always those of a full build; the
store's change listeners are told after each change is complete, and one that fails breaks nothing."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

from liqwatch import store_snapshot
from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.memo import EvaluationMemo
from liqwatch.alerts.model import AlertKey, AlertState
from liqwatch.clock import FakeClock
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import Channel, ChannelKind, ChannelState
from liqwatch.model import (
    AccountSpec,
    AccountState,
    BalanceUpdate,
    Exchange,
    MarginMode,
    MarkTick,
    Position,
    PositionUpdate,
    Side,
    Stamp,
)
from liqwatch.read_model import AccountView, MonitorSnapshot
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
TIERS = TierTable.flat(0.005)
THRESHOLDS = ThresholdMap(AlertThresholds(warning=0.3, critical=0.6, liquidation_imminent=0.9,
                                          stale_feed_s=2.0))


class Book:
    """Three accounts on one exchange, two symbols each plus one they share (a mark dirties both)."""

    def __init__(self, max_age_s: float = 5.0) -> None:
        self.clock = FakeClock(T0)
        self.store = MonitorStore(self.clock, THRESHOLDS)
        self.channels: dict[str, Channel] = {}
        self.marks = {"SHARED/USDT:USDT": 100.0}
        mono = self.clock.monotonic()
        for a in range(3):
            name = f"a{a}"
            spec = AccountSpec(name, Exchange.BINANCE)
            self.store.add_account(spec, risk_rules(Exchange.BINANCE))
            ch = Channel(name, "mark", ChannelKind.MARKET, max_age_s)
            self.store.add_channel(ch)
            ch.subscribed(mono)
            self.channels[name] = ch
            positions = [Position("SHARED/USDT:USDT", Side.LONG, 5.0, 100.0, MarginMode.CROSS, TIERS, leverage=10)]
            for p in range(2):
                symbol = f"S{a}{p}/USDT:USDT"
                self.marks[symbol] = 50.0 + 10 * p
                positions.append(Position(symbol, Side.LONG if p else Side.SHORT, 10.0, self.marks[symbol],
                                          MarginMode.CROSS, TIERS, leverage=10))
            self.store.apply(AccountState(spec, 600.0, tuple(positions)))
            ch.synced(mono)
        for symbol in self.marks:
            self.mark(symbol, self.marks[symbol])

    def mark(self, symbol: str, price: float) -> None:
        now = self.clock.now()
        self.store.apply(MarkTick(Exchange.BINANCE, symbol, price, Stamp(now, now), funding_rate=0.0001))
        self.marks[symbol] = price
        for name, ch in self.channels.items():
            if symbol.startswith(("SHARED", f"S{name[1]}")):
                ch.data(self.clock.monotonic())


def _ageless(snap: MonitorSnapshot) -> MonitorSnapshot:
    """The snapshot without its ages (a reused view's lag by up to ``REUSE_STEP_S``): its figures."""
    def view(v: AccountView) -> AccountView:
        return replace(v, feeds=tuple(replace(f, age_s=None) for f in v.feeds),
                       positions=tuple(replace(p, age_s=None, exchange_liq_age_s=None) for p in v.positions))
    accounts = tuple(view(v) for v in snap.accounts)
    return replace(snap, accounts=accounts, feeds=tuple(f for v in accounts for f in v.feeds))


def _random_step(book: Book, rng: random.Random) -> None:
    store, clock = book.store, book.clock
    what = rng.random()
    name = f"a{rng.randrange(3)}"
    now = clock.now()
    if what < 0.45:
        symbol = rng.choice(list(book.marks))
        book.mark(symbol, book.marks[symbol] * rng.uniform(0.85, 1.15))
    elif what < 0.65:
        clock.advance(rng.choice([0.1, 0.4, 0.9, 1.6, 3.0]))
    elif what < 0.72:
        store.apply(BalanceUpdate(name, rng.uniform(200, 800), Stamp(now, now)))
    elif what < 0.78:
        symbol = f"S{name[1]}0/USDT:USDT"
        size = rng.choice([0.0, 5.0, 20.0])
        pos = Position(symbol, Side.SHORT, size, book.marks[symbol], MarginMode.CROSS, TIERS,
                       leverage=10) if size else None
        store.apply(PositionUpdate(name, (symbol, Side.SHORT), pos, Stamp(now, now)))
    elif what < 0.82:
        store.set_account_warnings(name, rng.choice([(), ("key can trade",)]))
    elif what < 0.86:
        ch = book.channels[name]
        ch.reconnecting("socket closed")
        if rng.random() < 0.7:
            ch.subscribed(clock.monotonic())
            ch.synced(clock.monotonic())
    elif what < 0.89:
        store.set_funding_interval(Exchange.BINANCE, rng.choice(list(book.marks)), rng.choice([4.0, 8.0]))
    elif what < 0.92:
        store.thresholds = rng.choice([THRESHOLDS, ThresholdMap(AlertThresholds(warning=0.2))])
    else:
        for ch in book.channels.values():  # every feed fed: marks fresh, views reusable again
            ch.data(clock.monotonic())


def test_incremental_builds_give_the_figures_of_full_builds_on_random_updates() -> None:
    for seed in range(12):
        rng = random.Random(seed)
        book = Book()
        store = book.store
        reused = 0
        built: dict[int, tuple[AccountView, float]] = {}  # each view shown (kept alive), when first shown
        for _ in range(150):
            _random_step(book, rng)
            now = book.clock.monotonic()
            full = store_snapshot.full_build(store, now)
            before = store._views.reused
            inc = store_snapshot.build(store, now)
            reused += store._views.reused - before
            assert _ageless(inc) == _ageless(full), f"seed {seed}"
            for v in inc.accounts:  # a reused view's ages are those of its build, at most 1 s ago
                first_shown = built.setdefault(id(v), (v, now))[1]
                assert now - first_shown <= 1.0, f"seed {seed}: {v.name}'s view shown {now - first_shown} s"
            store.hold_levels(inc)  # as the engine's step does
        assert reused > 0, f"seed {seed}: no view was ever reused"


def test_an_unchanged_account_keeps_its_view_object_and_a_marked_one_gets_a_new_one() -> None:
    book = Book()
    first = book.store.snapshot()
    book.clock.advance(0.2)
    second = book.store.snapshot()
    assert all(a is b for a, b in zip(first.accounts, second.accounts, strict=True))
    book.mark("S10/USDT:USDT", 52.0)  # a1 only
    third = book.store.snapshot()
    old = {v.name: v for v in second.accounts}
    assert {v.name for v in third.accounts if v is not old[v.name]} == {"a1"}
    book.mark("SHARED/USDT:USDT", 101.0)  # held by all three: all three evaluated again
    fourth = book.store.snapshot()
    old = {v.name: v for v in third.accounts}
    assert all(v is not old[v.name] for v in fourth.accounts)


def test_a_channel_stale_by_time_alone_is_shown_and_alerted_no_later_than_with_full_builds() -> None:
    """No data at all after the start: the channels reach their limit (5 s) by time alone. At every build
    the incremental snapshot shows what a full one shows, and its STALE_FEED alert is raised at the same
    build (a reused view's frozen LIVE would show it late, and raise the alert late)."""
    book = Book()
    inc_state, full_state, memo = AlertState(), AlertState(), EvaluationMemo()
    key = AlertKey("a0", AlertRule.STALE_FEED, "mark")
    raised_inc = raised_full = None
    for step in range(40):  # a build every 0.3 s, 12 s
        book.clock.advance(0.3)
        now = book.clock.monotonic()
        full = store_snapshot.full_build(book.store, now)
        inc = book.store.snapshot()
        assert [f.state for f in inc.feeds] == [f.state for f in full.feeds], f"step {step}"
        assert [v.status for v in inc.accounts] == [v.status for v in full.accounts]
        wall = book.clock.now()
        inc_state, _ = evaluate(inc_state, inc, THRESHOLDS, wall, memo=memo)
        full_state, _ = evaluate(full_state, full, THRESHOLDS, wall)
        if raised_inc is None and key in inc_state.active:
            raised_inc = step
        if raised_full is None and key in full_state.active:
            raised_full = step
        assert inc_state.active == full_state.active, f"step {step}"
    assert raised_full is not None and raised_inc == raised_full
    assert book.store.snapshot().account("a0").feeds[0].state is ChannelState.STALE


def test_a_raising_listener_does_not_break_an_update_and_the_others_are_told() -> None:
    book = Book()
    told: list[int] = []

    def broken() -> None:
        raise RuntimeError("listener bug")

    book.store.on_change.extend([broken, lambda: told.append(book.store.version)])
    version = book.store.version
    book.mark("S00/USDT:USDT", 40.0)  # applied, whatever the first listener does
    assert book.store.version == version + 1 and told == [version + 1]
    assert book.store.listener_errors == 1
    assert book.store.snapshot().account("a0").positions[0].risk.mark_price in (40.0, 100.0)
    assert {p.risk.symbol: p.risk.mark_price for p in book.store.snapshot().account("a0").positions}[
        "S00/USDT:USDT"] == 40.0


def test_the_version_moves_and_listeners_are_told_only_once_each_change_is_complete() -> None:
    book = Book()
    store = book.store
    seen: list[tuple[str, object]] = []
    what = ["mark"]

    def read() -> None:  # reads the state it is told about, as the engine's build does
        snap = store_snapshot.full_build(store, book.clock.monotonic())
        v = snap.account("a0")
        values = {
            "mark": {p.risk.symbol: p.risk.mark_price for p in v.positions}.get("S00/USDT:USDT"),
            "interval": {p.risk.symbol: p.funding_interval_hours for p in v.positions}.get("S00/USDT:USDT"),
            "offset": v.clock_offset_s,
            "channel": len(v.feeds),
            "warnings": v.warnings,
        }
        seen.append((what[0], values[what[0]]))

    store.on_change.append(read)
    book.mark("S00/USDT:USDT", 41.0)
    what[0] = "interval"
    store.set_funding_interval(Exchange.BINANCE, "S00/USDT:USDT", 4.0)
    what[0] = "offset"
    store.set_clock_offset("a0", 0.25)
    what[0] = "channel"
    store.add_channel(Channel("a0", "user", ChannelKind.QUIET, 60.0))
    what[0] = "warnings"
    store.set_account_warnings("a0", ("key can trade",))
    assert seen[0] == ("mark", 41.0)
    assert ("interval", 4.0) in seen and ("offset", 0.25) in seen and ("channel", 2) in seen
    assert seen[-1] == ("warnings", ("key can trade",))
