"""Review 2 of issue 11: the engine loop (liqwatch.monitor_engine.MonitorEngine) when the alerts' evaluation is
slow or never returns, as when its SQLite writes wait on a locked database. The engine evaluates before it
publishes, under one lock, with no bound on the evaluation: every front end (the App's screen, ``check --watch``,
``demo --plain``) reads only what it published."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.feed_channel import ChannelState
from liqwatch.model import Exchange, MarkTick, Stamp
from liqwatch.monitor_engine import MonitorEngine
from liqwatch.store import MonitorSnapshot
from tests.alerts.alert_scenarios import SYMBOL, Scenario, mark_for_risk
from tests.feeds.harness import eventually


def _move(sc: Scenario) -> None:
    """A new mark applied as a feed applies it."""
    sc.clock.advance(1.0)
    now = sc.clock.now()
    sc.store.apply(MarkTick(Exchange.BINANCE, SYMBOL, mark_for_risk(0.5), Stamp(now, now)))
    sc.channel.data(sc.clock.monotonic())


async def test_a_hung_evaluation_does_not_freeze_what_the_front_ends_read() -> None:
    sc = Scenario()
    release = asyncio.Event()
    calls = 0

    async def evaluate(snap: MonitorSnapshot) -> None:
        nonlocal calls
        calls += 1
        if calls > 1:
            await release.wait()  # the alerts' write waits on a lock nobody releases

    engine = MonitorEngine(sc.store, evaluate, poll_s=0.01)
    try:
        async with asyncio.timeout(30):
            async with engine:
                _move(sc)
                await eventually(lambda: calls > 1, 5.0, "the second evaluation started")
                _move(sc)
                await eventually(lambda: engine.version == sc.store.version, 3.0,
                                 "the changed store published while the alerts are stuck")
    finally:
        release.set()


async def test_a_snapshot_published_after_a_slow_evaluation_tells_the_feeds_state_of_then() -> None:
    sc = Scenario(max_age_s=5.0)

    async def slow(snap: MonitorSnapshot) -> None:
        sc.clock.advance(6.0)  # the alerts' write waited 6 s on a locked database
        await asyncio.sleep(0)

    engine = MonitorEngine(sc.store, slow, poll_s=0.01)
    snap = await engine.step(force=True)
    assert snap is not None and engine.latest is snap
    now = sc.clock.monotonic()
    assert sc.channel.status(now).state is ChannelState.STALE  # what the feed is when the snapshot goes out
    published = engine.latest.account("main").feeds[0]
    assert published.state is sc.channel.status(now).state, (
        f"published {published.state.name} with age {published.age_s} s, the feed is STALE now")


async def test_a_failing_build_does_not_leave_an_old_snapshot_published_as_current(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from liqwatch import store_snapshot

    sc = Scenario(max_age_s=5.0)
    engine = MonitorEngine(sc.store, poll_s=0.01, fresh_s=0.5)
    async with asyncio.timeout(30), engine:
        first = engine.latest
        assert first is not None and first.account("main").feeds[0].state is ChannelState.LIVE

        def broken(store: object, now_mono: float | None = None) -> MonitorSnapshot:
            raise RuntimeError("build bug on a hostile value")

        monkeypatch.setattr(store_snapshot, "build", broken)
        sc.clock.advance(60.0)  # a minute without data: the feed is STALE, whatever the engine can build
        await eventually(lambda: engine.errors >= 3, 5.0, "the engine tried (and failed) to build again")
        assert sc.channel.status(sc.clock.monotonic()).state is ChannelState.STALE
        latest = engine.latest
        assert latest is None or latest.account("main").feeds[0].state is not ChannelState.LIVE, (
            f"a {sc.clock.monotonic() - latest.monotonic:.0f} s old snapshot is what every front end reads, LIVE")
