"""The event loop's stall detector (liqwatch.loop_lag) on an injected clock, and how a channel holds after a
stall (row 20 of the fault catalogue; over real sockets in tests/feeds/test_faults_loop_lag.py)."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import Channel, ChannelKind, ChannelState
from liqwatch.loop_lag import LoopLag


def running_lag(clock: FakeClock, **kw: float) -> LoopLag:
    lag = LoopLag(clock, interval_s=0.5, threshold_s=1.0, settle_s=1.0, report_s=5.0, **kw)
    lag._running = True  # as inside run(), without a loop
    return lag


def test_a_late_timer_is_a_stall_with_its_lag() -> None:
    clock = FakeClock()
    lag, seen = running_lag(clock), []
    lag.on_stall(lambda s, until: seen.append((s, until)))
    for _ in range(4):
        clock.advance(0.5)
        lag.beat()
    clock.advance(0.5 + 0.9)  # late, but under the threshold
    lag.beat()
    assert lag.stalls == 0 and seen == [] and lag.lag_in_effect(clock.monotonic()) is None
    clock.advance(0.5 + 2.5)
    lag.beat()
    now = clock.monotonic()
    assert lag.stalls == 1 and lag.lag_in_effect(now) == pytest.approx(2.5)
    assert seen == [(pytest.approx(2.5), pytest.approx(now + 1.0))]
    assert lag.holding(now) and not lag.holding(now + 1.01)
    clock.advance(5.01)
    assert lag.lag_in_effect(clock.monotonic()) is None  # recovered: no longer reported


def test_a_stall_is_seen_at_read_time_before_the_timer_catches_up_and_counted_once() -> None:
    clock = FakeClock()
    lag = running_lag(clock)
    clock.advance(0.5 + 3.0)
    lag.check(clock.monotonic())  # a snapshot read first, the timer's callback not run yet
    assert lag.stalls == 1 and lag.lag_in_effect(clock.monotonic()) == pytest.approx(3.0)
    clock.advance(0.01)
    lag.beat()  # the same stall, from the timer
    assert lag.stalls == 1 and lag.lag_s == pytest.approx(3.01)


def test_a_timer_that_does_not_run_judges_nothing() -> None:
    clock = FakeClock()
    lag = LoopLag(clock)
    clock.advance(60)
    lag.check(clock.monotonic())
    assert lag.stalls == 0


async def test_the_timer_runs_on_the_injected_sleep_and_clock() -> None:
    clock = FakeClock()
    ticks = 0
    five = asyncio.Event()

    async def sleep(s: float) -> None:
        nonlocal ticks
        ticks += 1
        clock.advance(s + (4.0 if ticks == 3 else 0.0))  # the third sleep returns 4 s late
        if ticks == 5:
            five.set()
        await asyncio.sleep(0)

    lag = LoopLag(clock, sleep=sleep)
    task = asyncio.get_running_loop().create_task(lag.run())
    async with asyncio.timeout(5):
        await five.wait()
    task.cancel()
    assert lag.stalls == 1 and lag.lag_s == pytest.approx(4.0)


def test_a_held_market_channel_needs_a_frame_received_after_the_stall() -> None:
    ch = Channel("acc", "mark", ChannelKind.MARKET, max_age_s=5)
    ch.subscribed(0.0)
    ch.synced(0.1)
    ch.data(1.0)
    assert ch.state is ChannelState.LIVE
    ch.hold(4.0, "event loop stalled 2.0 s")
    assert ch.state is ChannelState.STALE and ch.detail == "event loop stalled 2.0 s"
    ch.data(3.0)  # read from the buffer just after the stall: may be old
    assert ch.check(3.5) is ChannelState.STALE
    assert ch.check(4.2) is ChannelState.STALE  # the hold is over, but no frame since
    ch.data(4.3)
    assert ch.state is ChannelState.LIVE


def test_a_held_quiet_channel_is_live_again_after_the_hold() -> None:
    ch = Channel("acc", "user", ChannelKind.QUIET, max_age_s=45)
    ch.subscribed(0.0)
    ch.synced(0.1)
    assert ch.state is ChannelState.LIVE
    ch.hold(4.0, "event loop stalled 2.0 s")
    assert ch.check(3.9) is ChannelState.STALE
    assert ch.check(4.0) is ChannelState.LIVE
