"""Reading never moves state (issue 11): a snapshot is a pure function of the store's state and the time.
The channels' transitions are their supervisor's (``Channel.check``), the danger levels are held only when
the engine says so (``hold_levels``), and the account book's sums are not rebuilt by a read."""

from __future__ import annotations

from liqwatch.alert_levels import AlertRule
from liqwatch.feed_channel import ChannelState
from liqwatch.loop_lag import LoopLag
from liqwatch.model import Exchange, MarkTick, Stamp
from liqwatch.status import Status
from liqwatch.store_snapshot import build
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, SYMBOL, Scenario, mark_for_risk


def test_a_snapshot_reads_a_channel_stale_without_moving_it() -> None:
    sc = Scenario(max_age_s=5.0)
    ch = sc.channel
    assert sc.store.snapshot().account("main").feeds[0].state is ChannelState.LIVE
    changes = ch.changes
    sc.clock.advance(6)  # past the limit, no frame: STALE as of now
    for read in (sc.store.snapshot, sc.store.snapshot, lambda: build(sc.store)):
        snap = read()
        assert snap.account("main").feeds[0].state is ChannelState.STALE
        assert snap.account("main").status is Status.STALE
    assert not sc.store.all_live()
    # Three reads and a poll, and the channel has not moved: its state is LIVE until its supervisor checks.
    assert (ch.state, ch.changes) == (ChannelState.LIVE, changes)
    assert ch.check(sc.clock.monotonic()) is ChannelState.STALE
    assert ch.changes == changes + 1


def test_the_status_a_channel_reads_is_the_one_check_then_gives_it() -> None:
    sc = Scenario(max_age_s=5.0)
    ch = sc.channel
    sc.clock.advance(6)
    now = sc.clock.monotonic()
    read = ch.status(now)
    assert ch.check(now) is read.state is ChannelState.STALE and ch.status(now) == read
    ch.data(now)  # a frame: LIVE again, both ways
    assert ch.status(now).state is ChannelState.LIVE and ch.check(now) is ChannelState.LIVE


def test_building_twice_at_one_instant_gives_the_same_snapshot_and_holds_nothing() -> None:
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    sc.clock.advance(1.0)
    now = sc.clock.now()  # into the critical band, applied as a feed applies it (no snapshot taken)
    sc.store.apply(MarkTick(Exchange.BINANCE, SYMBOL, mark_for_risk(0.85), Stamp(now, now)))
    sc.channel.data(sc.clock.monotonic())
    acc = sc.store._accounts["main"]
    levels = dict(acc.levels)
    totals = acc.book.margin_balance, acc.book.maintenance_margin
    first, second = build(sc.store), build(sc.store)
    assert first == second
    assert first.account("main").status is Status.CRITICAL
    # The store holds the levels a build judged only when told to (the engine's step), and no sum moved.
    assert acc.levels == levels
    assert (acc.book.margin_balance, acc.book.maintenance_margin) == totals
    assert (AlertRule.RISK, "") in dict(first.account("main").held_levels)
    sc.store.hold_levels(first)
    assert acc.levels == dict(first.account("main").held_levels)


def test_a_read_does_not_run_the_loop_lag_check() -> None:
    sc = Scenario()
    lag = LoopLag(sc.clock)
    lag._running = True  # as while its timer runs
    sc.store.loop_lag = lag
    sc.clock.advance(5.0)  # a beat overdue by far more than the threshold
    build(sc.store)
    assert lag.stalls == 0  # reading judged nothing
    sc.store.snapshot()  # the engine's step does
    assert lag.stalls == 1
