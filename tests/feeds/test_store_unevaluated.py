"""The store keeps positions that are not evaluated per account, and never lets their account read ok."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import (
    AccountSpec,
    AccountState,
    Exchange,
    MarginMode,
    MarkTick,
    Position,
    PositionUpdate,
    Side,
    Stamp,
    UnevaluatedPosition,
)
from liqwatch.risk.registry import risk_rules
from liqwatch.status import Status
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
SPEC = AccountSpec("main", Exchange.BINANCE)
BTC = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, TierTable.flat(0.005), leverage=10)
ETH = Position("ETH/USDT:USDT", Side.SHORT, 4.0, 3_050, MarginMode.CROSS, TierTable.flat(0.005), leverage=10)
ETH_UNEVALUATED = UnevaluatedPosition("ETH/USDT:USDT", Side.SHORT, 4.0, "no leverage bracket", entry_price=3_050)


def live_store() -> MonitorStore:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    ch = Channel("main", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    ch.subscribed(clock.monotonic())
    store.apply(AccountState(SPEC, 100_000, (BTC, ETH), as_of=T0 - timedelta(seconds=1)))
    ch.synced(clock.monotonic())
    for sym, px in (("BTC/USDT:USDT", 60_000.0), ("ETH/USDT:USDT", 3_000.0)):
        store.apply(MarkTick(Exchange.BINANCE, sym, px, Stamp(T0, T0)))
    ch.data(clock.monotonic())
    return store


def test_a_position_that_becomes_unevaluable_is_kept_not_reported_closed_and_the_account_is_stale() -> None:
    store = live_store()
    assert store.snapshot().account("main").status is Status.OK
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0, unevaluated=(ETH_UNEVALUATED,)))
    a = store.snapshot().account("main")
    assert [p.risk.symbol for p in a.positions] == ["BTC/USDT:USDT"]
    assert [(u.symbol, u.reason, u.mark_price) for u in a.unevaluated] == [
        ("ETH/USDT:USDT", "no leverage bracket", 3_000.0)]  # with the live mark
    assert a.status is Status.STALE and a.feeds_live and not a.fresh  # its figures lack ETH
    assert not any("closed while the stream was blind" in i for i in store.incidents)


def test_the_stream_closes_an_unevaluated_position_and_the_account_reads_ok_again() -> None:
    store = live_store()
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0, unevaluated=(ETH_UNEVALUATED,)))
    later = T0 + timedelta(seconds=5)
    store.apply(PositionUpdate("main", ETH.key, None, Stamp(later, later)))
    a = store.snapshot().account("main")
    assert a.unevaluated == () and a.status is Status.OK


def test_an_evaluable_version_replaces_the_unevaluated_one_and_a_snapshot_without_it_drops_it() -> None:
    store = live_store()
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0, unevaluated=(ETH_UNEVALUATED,)))
    later = T0 + timedelta(seconds=5)
    store.apply(PositionUpdate("main", ETH.key, ETH, Stamp(later, later)))
    a = store.snapshot().account("main")
    assert a.unevaluated == () and {p.risk.symbol for p in a.positions} == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
    store.apply(PositionUpdate("main", ETH.key, ETH_UNEVALUATED, Stamp(later + timedelta(seconds=1), later)))
    assert [u.symbol for u in store.snapshot().account("main").unevaluated] == ["ETH/USDT:USDT"]
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=later + timedelta(seconds=2)))
    assert store.snapshot().account("main").unevaluated == ()


def test_a_mode_not_modelled_evaluates_nothing_even_from_the_stream() -> None:
    store = live_store()
    store.apply(AccountState(SPEC, 100_000, (BTC, ETH), as_of=T0, mode_not_modelled="Binance Multi-Assets mode"))
    later = T0 + timedelta(seconds=5)
    store.apply(PositionUpdate("main", BTC.key, BTC, Stamp(later, later)))
    a = store.snapshot().account("main")
    assert a.risk is None and a.positions == () and a.status is Status.STALE
    assert a.mode_not_modelled == "Binance Multi-Assets mode"
    assert {u.symbol for u in a.unevaluated} == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
    assert all(u.reason == "mode not modelled" for u in a.unevaluated)
