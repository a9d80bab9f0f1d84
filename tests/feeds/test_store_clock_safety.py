"""The store's side of issue 9: a time ahead of the exchange's clock is dropped at reconciliation, and marks
without an exchange time are ordered by arrival (scripted events, FakeClock)."""

from __future__ import annotations

from datetime import timedelta

from liqwatch.model import (
    AccountSpec,
    AccountState,
    BalanceUpdate,
    Exchange,
    MarginMode,
    MarkTick,
    Position,
    Side,
    Stamp,
)
from liqwatch.risk.registry import risk_rules
from tests.feeds.test_store import FLAT, make_store, stamp


def test_a_time_ahead_of_the_exchange_clock_is_dropped_and_the_snapshot_applies() -> None:
    store, clock, _ = make_store()
    spec = AccountSpec("main", Exchange.BINANCE)
    store.apply(AccountState(spec, 10_000.0, (), as_of=clock.now()))
    store.apply(BalanceUpdate("main", 1.0, stamp(clock, 3600)))  # slipped in while our clock was an hour fast
    clock.advance(1)
    assert store.forget_times_after("main", clock.now() + timedelta(seconds=5)) == 1
    btc = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, FLAT, leverage=10)
    store.apply(AccountState(spec, 10_000.0, (btc,), as_of=clock.now()))
    assert store.book("main").wallet_balance == 10_000.0
    store.apply(BalanceUpdate("main", 9_000.0, stamp(clock, 0.5)))  # the stream's next real event applies too
    assert store.book("main").wallet_balance == 9_000.0


def test_marks_without_exchange_time_are_ordered_by_arrival() -> None:
    store, clock, _ = make_store()
    store.add_account(AccountSpec("hl", Exchange.HYPERLIQUID), risk_rules(Exchange.HYPERLIQUID))
    sym = "BTC/USDC:USDC"
    ahead = Stamp(clock.now() + timedelta(hours=1), clock.now() + timedelta(hours=1))  # a jumped local clock
    assert store.apply(MarkTick(Exchange.HYPERLIQUID, sym, 60_000.0, ahead, by_arrival=True))
    assert store.apply(MarkTick(Exchange.HYPERLIQUID, sym, 61_000.0, stamp(clock), by_arrival=True))
    m = store._markets[(Exchange.HYPERLIQUID, sym)]
    assert m.state.mark_price == 61_000.0
