"""The event-driven engine (liqwatch.monitor_engine with ``wake_on_change``): a change wakes it (no poll
waited for), a view reaching its limit by time is built when it does, its build budget charges CPU time and
never holds a build longer than one poll interval, and the alerts judged on incremental evaluations are those
of full ones. Every wait is on a condition, bounded; no test asserts a time."""

from __future__ import annotations

import asyncio
import random

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.memo import EvaluationMemo
from liqwatch.alerts.model import AlertKey, AlertState
from liqwatch.engine_pacing import BuildBudget
from liqwatch.feed_channel import ChannelState
from liqwatch.model import Exchange, MarkTick, Stamp
from liqwatch.monitor_engine import MonitorEngine
from liqwatch.store import MonitorSnapshot
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, SYMBOL, Scenario, mark_for_risk
from tests.feeds.harness import eventually
from tests.feeds.test_store_incremental import THRESHOLDS, Book

HOUR = 3600.0


class Alerts:
    def __init__(self) -> None:
        self.state = AlertState()
        self.evaluated: list[MonitorSnapshot] = []

    async def update(self, snap: MonitorSnapshot) -> None:
        self.state, _ = evaluate(self.state, snap, RISK_ONLY_MAP, snap.time)
        self.evaluated.append(snap)


def _danger(sc: Scenario) -> None:
    now = sc.clock.now()
    sc.store.apply(MarkTick(Exchange.BINANCE, SYMBOL, mark_for_risk(0.85), Stamp(now, now)))
    sc.channel.data(sc.clock.monotonic())


async def test_a_crossing_is_alerted_without_waiting_for_a_poll() -> None:
    """Poll and freshness an hour apart: only the store's change listener can have woken the engine."""
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    alerts = Alerts()
    engine = MonitorEngine(sc.store, alerts.update, poll_s=HOUR, fresh_s=HOUR)
    async with asyncio.timeout(30), engine:
        builds = engine.builds
        _danger(sc)
        await eventually(lambda: AlertKey("main", AlertRule.RISK) in alerts.state.active, 5.0, "the risk alert")
        assert engine.builds > builds and engine.latest is not None
        assert engine.latest.version == sc.store.version
    assert engine._wake.set not in sc.store.on_change  # stopped: no longer told


async def test_many_changes_in_one_turn_make_one_build() -> None:
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    engine = MonitorEngine(sc.store, poll_s=HOUR, fresh_s=HOUR)
    async with asyncio.timeout(30), engine:
        builds = engine.builds
        for i in range(50):  # one loop turn: the feed's frames of one read
            now = sc.clock.now()
            sc.store.apply(MarkTick(Exchange.BINANCE, SYMBOL, 59_000.0 + i, Stamp(now, now)))
        await eventually(lambda: engine.version == sc.store.version, 5.0, "the changes built")
        assert engine.builds == builds + 1


async def test_a_channel_reaching_its_limit_by_time_is_built_without_a_change() -> None:
    """No change and freshness an hour away: the build that shows STALE is the one due at the limit."""
    sc = Scenario(max_age_s=5.0)
    engine = MonitorEngine(sc.store, poll_s=0.01, fresh_s=HOUR)
    async with asyncio.timeout(30), engine:
        assert engine.latest is not None and engine.latest.feeds[0].state is ChannelState.LIVE
        sc.clock.advance(5.5)
        await eventually(lambda: engine.latest is not None and engine.latest.feeds[0].state is ChannelState.STALE,
                         5.0, "the channel shown STALE")


async def test_one_slow_build_holds_the_next_for_one_poll_interval_at_most_and_timed_builds_never() -> None:
    """A build charged 3 s of CPU: the budget (10 % of a core) would hold the next for 27 s; it holds it for
    one poll interval at most, on the budget's own clock, and a build due by time is not held at all."""
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    cpu = [0.0]

    def slow_cpu() -> float:  # every build, read before and after, costs 3 s
        cpu[0] += 3.0
        return cpu[0]

    budget_now = [0.0]
    poll_s = 0.05
    budget = BuildBudget(poll_s, cpu=slow_cpu, clock=lambda: budget_now[0])
    engine = MonitorEngine(sc.store, poll_s=poll_s, fresh_s=HOUR, budget=budget, cpu=slow_cpu)
    async with asyncio.timeout(30), engine:
        assert engine.build_cpu_s == 3.0
        assert 0 < budget.hold_s() <= poll_s
        builds = engine.builds
        sc.clock.advance(0.1)
        _danger(sc)  # a change, while the budget is in debt: held
        await eventually(lambda: budget.held > 0, 5.0, "the change's build held")
        budget_now[0] += poll_s  # one poll interval of the budget's clock: the debt is paid
        await eventually(lambda: engine.builds > builds, 5.0, "the held build, one poll interval later")
        assert engine.latest is not None and engine.latest.version == sc.store.version
        # In debt again (3 s more), and nothing changes: a build due by time is never held.
        builds, held = engine.builds, budget.held
        assert budget.hold_s() > 0
        sc.clock.advance(5.5)  # the channel reaches its limit
        await eventually(lambda: engine.builds > builds, 5.0, "the timed build")
        assert engine.latest is not None and engine.latest.feeds[0].state is ChannelState.STALE
        assert budget.held == held


def test_alerts_evaluated_on_incremental_snapshots_are_those_of_full_ones() -> None:
    """The same random updates, judged two ways: incremental snapshots with the evaluation's memo (unchanged
    accounts skipped) and full snapshots without it. Every step raises, clears and holds the same alerts."""
    for seed in range(6):
        rng = random.Random(seed)
        inc_book, full_book = Book(), Book()
        inc_state, full_state, memo = AlertState(), AlertState(), EvaluationMemo()
        for step in range(120):
            r = rng.random()
            symbol = rng.choice(list(inc_book.marks))
            price = inc_book.marks[symbol] * rng.uniform(0.8, 1.2)
            advance = rng.choice([0.0, 0.3, 1.2, 40.0]) if r < 0.3 else 0.0
            for book in (inc_book, full_book):
                book.clock.advance(advance)
                if r >= 0.3:
                    book.mark(symbol, price)
            inc = inc_book.store.snapshot()
            full = full_book.store.full_snapshot()
            now = inc_book.clock.now()
            inc_state, inc_events = evaluate(inc_state, inc, THRESHOLDS, now, memo=memo)
            full_state, full_events = evaluate(full_state, full, THRESHOLDS, now)
            assert [(e.kind, e.alert.key, e.alert.level) for e in inc_events] == [
                (e.kind, e.alert.key, e.alert.level) for e in full_events], f"seed {seed} step {step}"
            assert {k: a.level for k, a in inc_state.active.items()} == {
                k: a.level for k, a in full_state.active.items()}
        assert memo.reused > 0
