"""The engine loop (liqwatch.monitor_engine): it builds a snapshot when the store changes, and at its
freshness cadence when it does not, publishes it, and has the alerts evaluated on it beside the loop (a slow
or stuck evaluation is told in the snapshot, never waited on)."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertKey, AlertState
from liqwatch.feed_channel import ChannelState
from liqwatch.model import Exchange, MarkTick, Stamp
from liqwatch.monitor_engine import MonitorEngine
from liqwatch.status import Status
from liqwatch.store import MonitorSnapshot
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, SYMBOL, Scenario, mark_for_risk
from tests.feeds.harness import eventually


class Alerts:
    """The pure alert engine, and what the engine had published when each evaluation ran."""

    def __init__(self, engine: list[MonitorEngine]) -> None:
        self.state = AlertState()
        self.evaluated: list[MonitorSnapshot] = []
        self.published_at_evaluation: list[MonitorSnapshot | None] = []
        self._engine = engine

    async def update(self, snap: MonitorSnapshot) -> None:
        self.published_at_evaluation.append(self._engine[0].latest if self._engine else None)
        self.state, _ = evaluate(self.state, snap, RISK_ONLY_MAP, snap.time)
        self.evaluated.append(snap)


def _danger(sc: Scenario) -> None:
    """A mark into the critical band, applied as a feed applies it: nobody takes a snapshot."""
    sc.clock.advance(1.0)
    now = sc.clock.now()
    sc.store.apply(MarkTick(Exchange.BINANCE, SYMBOL, mark_for_risk(0.85), Stamp(now, now)))
    sc.channel.data(sc.clock.monotonic())


async def test_a_state_change_is_evaluated_and_published_without_any_reader() -> None:
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    holder: list[MonitorEngine] = []
    alerts = Alerts(holder)
    engine = MonitorEngine(sc.store, alerts.update, poll_s=0.01)
    holder.append(engine)
    async with engine:
        _danger(sc)
        key = AlertKey("main", AlertRule.RISK)
        await eventually(lambda: key in alerts.state.active, 5.0, "the risk alert")
        await eventually(lambda: engine.version == sc.store.version, 5.0, "the changed store published")
        await eventually(lambda: engine.latest is not None and alerts.evaluated[-1].version == engine.version,
                         5.0, "the published state evaluated")
    # Each snapshot was published before its alerts were evaluated: no reader waits on the alerts.
    assert all(p is not None and p.version >= s.version
               for p, s in zip(alerts.published_at_evaluation, alerts.evaluated, strict=True))


async def test_ages_move_without_a_change_so_a_silent_feed_goes_stale() -> None:
    sc = Scenario(max_age_s=5.0)
    engine = MonitorEngine(sc.store, poll_s=0.01, fresh_s=0.5)
    async with engine:
        first = engine.latest
        assert first is not None and first.account("main").feeds[0].state is ChannelState.LIVE
        version = sc.store.version
        sc.clock.advance(6.0)  # nothing arrives: the store's version does not move

        def stale() -> bool:
            snap = engine.latest
            return snap is not None and snap.account("main").feeds[0].state is ChannelState.STALE

        await eventually(stale, 5.0, "a STALE snapshot at the freshness cadence")
        assert sc.store.version == version


async def test_an_unchanged_store_is_not_rebuilt_before_its_freshness_cadence() -> None:
    sc = Scenario()
    engine = MonitorEngine(sc.store, poll_s=0.01, fresh_s=0.5)
    await engine.step(force=True)
    builds = engine.builds
    assert await engine.step() is None  # the fake clock has not moved, nor the store
    sc.clock.advance(0.5)
    assert await engine.step() is not None and engine.builds == builds + 1


async def test_a_failing_evaluation_costs_the_alerts_not_the_snapshot() -> None:
    sc = Scenario()

    async def broken(snap: MonitorSnapshot) -> None:
        raise RuntimeError("alert bug")

    engine = MonitorEngine(sc.store, broken, poll_s=0.01)
    snap = await engine.step(force=True)
    assert snap is not None and engine.latest is snap and engine.errors == 1


async def test_alerts_stuck_past_their_bound_are_told_behind_in_the_snapshot_until_they_catch_up() -> None:
    sc = Scenario()
    release = asyncio.Event()
    calls = 0

    async def evaluate(snap: MonitorSnapshot) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            await release.wait()  # the record's write waits on a locked database

    engine = MonitorEngine(sc.store, evaluate, poll_s=0.01, late_s=2.0)
    async with asyncio.timeout(30), engine:
        assert engine.latest is not None and engine.latest.alerts_behind_s is None
        _danger(sc)  # +1 s: handed over, its evaluation hangs
        await eventually(lambda: calls == 2, 5.0, "the stuck evaluation started")
        assert engine.latest is not None and engine.latest.alerts_behind_s is None  # 1 s: within the bound
        sc.clock.advance(5.0)

        def behind() -> float | None:
            return engine.latest.alerts_behind_s if engine.latest is not None else None

        await eventually(lambda: behind() is not None, 5.0, "the snapshot telling the alerts behind")
        assert behind() == 6.0  # they judged the first state, 6 s ago on the store's clock
        release.set()
        await eventually(lambda: calls >= 3 and behind() is None, 5.0, "the alerts caught up")


async def test_an_evaluation_past_its_timeout_is_given_up_and_the_next_snapshot_evaluated() -> None:
    sc = Scenario()
    evaluated: list[int] = []
    hang = asyncio.Event()

    async def evaluate(snap: MonitorSnapshot) -> None:
        if len(evaluated) == 1:
            evaluated.append(-1)
            await hang.wait()  # never set: the timeout ends it
        evaluated.append(snap.version)

    engine = MonitorEngine(sc.store, evaluate, poll_s=0.01, eval_timeout_s=0.2)
    async with asyncio.timeout(30), engine:
        _danger(sc)
        await eventually(lambda: engine.errors == 1, 5.0, "the hung evaluation given up")
        _danger(sc)
        await eventually(lambda: evaluated[-1] == sc.store.version, 5.0, "the next state evaluated")


async def test_builds_failing_publish_the_last_good_snapshot_told_as_old_with_the_reason(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from liqwatch import store_snapshot

    sc = Scenario(max_age_s=5.0)
    engine = MonitorEngine(sc.store, poll_s=0.01, stale_s=2.0)
    async with asyncio.timeout(30), engine:
        good = engine.latest
        assert good is not None

        def broken(store: object, now_mono: float | None = None) -> MonitorSnapshot:
            raise RuntimeError("build bug")

        monkeypatch.setattr(store_snapshot, "build", broken)
        sc.clock.advance(1.0)  # within stale_s: the last good one is still what readers get
        await eventually(lambda: engine.errors >= 2, 5.0, "builds failing")
        assert engine.latest is good
        sc.clock.advance(9.0)
        await eventually(lambda: engine.latest is not good, 5.0, "the old snapshot told as old")
        old = engine.latest
        assert old is not None and old.status is Status.STALE and not old.all_live
        feed = old.account("main").feeds[0]
        assert feed.state is ChannelState.STALE and feed.age_s is not None and feed.age_s >= 10.0
        assert feed.detail.startswith("snapshot not rebuilt for 10 s: RuntimeError: build bug")
        assert not old.account("main").fresh and old.account("main").status is Status.STALE
