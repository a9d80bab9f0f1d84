"""The store: ordering, snapshots, freshness in views, statuses and incidents (scripted events)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import Channel, ChannelKind, ChannelState
from liqwatch.model import (
    AccountSpec,
    AccountState,
    BalanceUpdate,
    Exchange,
    FundingPayment,
    MarginMode,
    MarkTick,
    Position,
    PositionUpdate,
    Side,
    Stamp,
)
from liqwatch.risk.registry import risk_rules
from liqwatch.status import Status
from liqwatch.store import FundingPaid, MonitorStore
from liqwatch.tiers import TierTable

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
FLAT = TierTable.flat(0.005)


def stamp(clock: FakeClock, seconds: float = 0.0) -> Stamp:
    return Stamp(clock.now() + timedelta(seconds=seconds), clock.now())


def make_store() -> tuple[MonitorStore, FakeClock, Channel]:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    store.add_account(AccountSpec("main", Exchange.BINANCE), risk_rules(Exchange.BINANCE))
    ch = Channel("main", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    ch.subscribed(clock.monotonic())
    btc = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, FLAT, leverage=10)
    store.apply(AccountState(AccountSpec("main", Exchange.BINANCE), 10_000, (btc,)))
    ch.synced(clock.monotonic())
    store.apply(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 59_000, stamp(clock), funding_rate=0.0001))
    ch.data(clock.monotonic())
    return store, clock, ch


def test_older_events_never_move_state_backwards() -> None:
    store, clock, _ = make_store()
    assert store.apply(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 58_000, stamp(clock, 2)))
    assert not store.apply(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 61_000, stamp(clock, 1)))  # out of order
    assert store.book("main").mark("BTC/USDT:USDT") == 58_000
    store.apply(BalanceUpdate("main", 9_000, stamp(clock, 3)))
    assert not store.apply(BalanceUpdate("main", 1.0, stamp(clock, 2)))
    assert store.book("main").wallet_balance == 9_000
    assert store.ignored_stale_events >= 2


def test_snapshot_is_fresh_only_while_channels_are_live() -> None:
    store, clock, ch = make_store()
    snap = store.snapshot()
    acc = snap.account("main")
    assert acc.fresh and acc.positions[0].fresh
    assert acc.status is Status.OK
    clock.advance(6)
    snap = store.snapshot()
    assert ch.state is ChannelState.STALE
    acc = snap.account("main")
    assert not acc.fresh and not acc.positions[0].fresh
    assert acc.status is Status.STALE and snap.status is Status.STALE
    assert acc.feeds[0].age_s == pytest.approx(6)


def test_critical_outranks_stale() -> None:
    store, clock, _ = make_store()
    # Price falls to where risk >= 0.8: critical, even though the data then goes stale.
    store.apply(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 50_300, stamp(clock, 1)))
    assert store.snapshot().account("main").status is Status.CRITICAL  # judged on fresh data
    clock.advance(10)
    acc = store.snapshot().account("main")
    assert not acc.fresh
    assert acc.risk is not None and acc.risk.risk is not None and acc.risk.risk >= 0.8
    assert acc.status is Status.CRITICAL  # held while stale, as its alert is


def test_position_closed_while_blind_is_an_incident() -> None:
    store, _clock, _ = make_store()
    store.apply(AccountState(AccountSpec("main", Exchange.BINANCE), 10_000, ()))
    snap = store.snapshot()
    assert snap.account("main").positions == ()
    assert any("closed while the stream was blind" in i for i in snap.incidents)


def test_stream_close_removes_position_and_flip_keeps_sums() -> None:
    store, clock, _ = make_store()
    key = ("BTC/USDT:USDT", Side.LONG)
    store.apply(PositionUpdate("main", key, None, stamp(clock, 1)))
    assert len(store.book("main")) == 0
    assert store.book("main").margin_balance == 10_000


def test_funding_is_deduplicated_and_counted_since_open() -> None:
    store, clock, _ = make_store()
    pays = (FundingPayment("BTC/USDT:USDT", -1.5, clock.now() + timedelta(hours=1), payment_id="1"),)
    assert store.apply(FundingPaid("main", pays))
    assert not store.apply(FundingPaid("main", pays))  # the same page again
    pos = store.snapshot().account("main").positions[0]
    assert pos.funding_paid_since_open == pytest.approx(-1.5)
    assert pos.next_funding == pytest.approx(-59_000 * 0.0001)


def test_accounts_rank_closest_to_liquidation_first() -> None:
    store, clock, _ = make_store()
    store.add_account(AccountSpec("safe", Exchange.BINANCE), risk_rules(Exchange.BINANCE))
    eth = Position("ETH/USDT:USDT", Side.SHORT, 1.0, 3_000, MarginMode.CROSS, FLAT)
    store.apply(AccountState(AccountSpec("safe", Exchange.BINANCE), 100_000, (eth,)))
    store.apply(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 52_000, stamp(clock, 1)))
    names = [a.name for a in store.snapshot().accounts]
    assert names == ["main", "safe"]


def test_funding_today_counts_settlements_since_midnight_utc() -> None:
    store, clock, _ = make_store()
    midnight = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    store.apply(FundingPaid("main", (
        FundingPayment("BTC/USDT:USDT", -2.0, midnight - timedelta(hours=8), payment_id="y"),  # yesterday
        FundingPayment("BTC/USDT:USDT", -1.0, midnight, payment_id="a"),
        FundingPayment("BTC/USDT:USDT", 0.25, midnight + timedelta(hours=8), payment_id="b"),
    )))
    assert store.snapshot().account("main").funding_today == pytest.approx(-0.75)


def test_a_burst_of_marks_coalesces_to_the_newest_per_symbol() -> None:
    from liqwatch.feeds.account_config import FeedAccount
    from liqwatch.feeds.adapter import FeedAdapter

    store, clock, _ = make_store()
    adapter = FeedAdapter(FeedAccount("main", Exchange.BINANCE, "http://127.0.0.1:1", "ws://127.0.0.1:1"),
                          store, None, clock)  # type: ignore[arg-type]
    for i in range(10_000):
        adapter.push_tick(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 50_000 + i, stamp(clock, 1 + i / 1000)))
    adapter.push_tick(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 1.0, stamp(clock, 0.5)))  # late, older
    assert len(adapter.ticks) == 1
    for tick in adapter.ticks.drain():
        store.apply(tick)
    assert store.book("main").mark("BTC/USDT:USDT") == 59_999


def test_a_snapshot_never_undoes_newer_stream_events() -> None:
    store, clock, _ = make_store()
    spec = AccountSpec("main", Exchange.BINANCE)
    request_started = clock.now()
    clock.advance(1)
    # While the REST request was in flight the stream closed BTC and moved the wallet...
    store.apply(PositionUpdate("main", ("BTC/USDT:USDT", Side.LONG), None, stamp(clock)))
    store.apply(BalanceUpdate("main", 12_345.0, stamp(clock)))
    # ...then the (older) snapshot arrives, still showing the position and the old wallet.
    btc = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, FLAT, leverage=10)
    store.apply(AccountState(spec, 10_000, (btc,), as_of=request_started))
    assert len(store.book("main")) == 0
    assert store.book("main").wallet_balance == 12_345.0
    assert not any("blind" in i for i in store.incidents)
    # A later snapshot is authoritative again.
    clock.advance(1)
    store.apply(AccountState(spec, 11_000, (btc,), as_of=clock.now()))
    assert len(store.book("main")) == 1 and store.book("main").wallet_balance == 11_000


def test_a_pushed_whole_state_closing_a_position_is_not_an_incident() -> None:
    store, clock, _ = make_store()
    store.apply(AccountState(AccountSpec("main", Exchange.BINANCE), 10_000, (), as_of=clock.now(), from_stream=True))
    assert len(store.book("main")) == 0
    assert not any("blind" in i for i in store.incidents)


def test_a_position_without_a_fresh_mark_of_its_own_is_not_fresh() -> None:
    store, clock, _ = make_store()
    eth = Position("ETH/USDT:USDT", Side.SHORT, 1.0, 3_000, MarginMode.CROSS, FLAT)
    store.apply(PositionUpdate("main", eth.key, eth, stamp(clock, 1)))  # opened on the stream, no ETH mark yet
    views = {p.risk.symbol: p for p in store.snapshot().account("main").positions}
    assert views["BTC/USDT:USDT"].fresh and not views["ETH/USDT:USDT"].fresh
