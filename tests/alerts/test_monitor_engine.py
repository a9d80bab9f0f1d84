"""The engine loop (liqwatch.monitor_engine): it builds a snapshot when the store changes, and at its
freshness cadence when it does not, evaluates the alerts on it, and only then publishes it."""

from __future__ import annotations

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertKey, AlertState
from liqwatch.feed_channel import ChannelState
from liqwatch.model import Exchange, MarkTick, Stamp
from liqwatch.monitor_engine import MonitorEngine
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
        latest = engine.latest
        assert latest is not None and latest in alerts.evaluated  # published: evaluated first
    # Each snapshot was evaluated before it was published: never the one a reader already had.
    assert all(p is not s for p, s in zip(alerts.published_at_evaluation, alerts.evaluated, strict=True))


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
