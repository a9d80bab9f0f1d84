"""An alert of a position that becomes not evaluated is held (frozen, as for stale data), never cleared; the
account's own figures and its cross positions lack the missing margin and PnL, so they are not fresh and
their alerts are held too; an isolated position next to it is still judged."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertKey, AlertState
from liqwatch.clock import FakeClock
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import (
    AccountSpec,
    AccountState,
    Exchange,
    MarginMode,
    MarkTick,
    Position,
    Side,
    Stamp,
    UnevaluatedPosition,
)
from liqwatch.risk.registry import risk_rules
from liqwatch.status import Status
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
SPEC = AccountSpec("iso", Exchange.BINANCE)
# Two isolated 25x longs: ETH close to its liquidation, SOL far from it.
ETH = Position("ETH/USDT:USDT", Side.LONG, 5.0, 3010.0, MarginMode.ISOLATED, TierTable.flat(0.005), leverage=25,
               isolated_margin=602.0)
SOL = Position("SOL/USDT:USDT", Side.LONG, 100.0, 145.0, MarginMode.ISOLATED, TierTable.flat(0.005), leverage=10,
               isolated_margin=1450.0)
ETH_NE = UnevaluatedPosition("ETH/USDT:USDT", Side.LONG, 5.0, "entry price 0", margin_mode=MarginMode.ISOLATED)
THRESHOLDS = ThresholdMap(AlertThresholds())
ETH_DIST = AlertKey("iso", AlertRule.DISTANCE_PCT, "ETH/USDT:USDT long")
SOL_DIST = AlertKey("iso", AlertRule.DISTANCE_PCT, "SOL/USDT:USDT long")


class Live:
    def __init__(self) -> None:
        self.clock = FakeClock(T0)
        self.store = MonitorStore(self.clock, thresholds=THRESHOLDS)
        self.store.add_account(SPEC, risk_rules(Exchange.BINANCE))
        self.ch = Channel("iso", "mark", ChannelKind.MARKET, 5.0)
        self.store.add_channel(self.ch)
        self.ch.subscribed(self.clock.monotonic())
        self.n = 0

    def state(self, positions: tuple[Position, ...], unevaluated: tuple[UnevaluatedPosition, ...] = ()) -> None:
        self.n += 1
        self.store.apply(AccountState(SPEC, 1_000.0, positions, as_of=T0 + timedelta(seconds=self.n),
                                      unevaluated=unevaluated))
        self.ch.synced(self.clock.monotonic())

    def marks(self, eth: float, sol: float) -> None:
        self.clock.advance(1.0)
        now = self.clock.now()
        for sym, px in (("ETH/USDT:USDT", eth), ("SOL/USDT:USDT", sol)):
            self.store.apply(MarkTick(Exchange.BINANCE, sym, px, Stamp(now, now)))
        self.ch.data(self.clock.monotonic())


def step(live: Live, state: AlertState) -> AlertState:
    state, _ = evaluate(state, live.store.snapshot(), THRESHOLDS, live.clock.now())
    return state


def test_a_critical_alert_is_held_while_its_position_is_not_evaluated_and_the_account_stays_critical() -> None:
    live = Live()
    live.state((ETH, SOL))
    live.marks(2_915.0, 145.0)  # ETH ~0.5 % from its liquidation (~2,900): critical
    state = step(live, AlertState())
    assert state.active[ETH_DIST].level is AlertLevel.CRITICAL
    alert_id = state.active[ETH_DIST].id
    assert live.store.snapshot().account("iso").status is Status.CRITICAL
    live.state((SOL,), (ETH_NE,))  # the exchange now reports ETH's entry price as 0
    for _ in range(3):
        live.marks(2_915.0, 145.0)
        state = step(live, state)
        assert ETH_DIST in state.active and state.active[ETH_DIST].level is AlertLevel.CRITICAL
        assert state.active[ETH_DIST].id == alert_id
        # The account's level holds the position's, as its alert does: critical, not merely stale.
        assert live.store.snapshot().account("iso").status is Status.CRITICAL
    # An isolated position beside it is still judged: SOL close to its liquidation raises its own alert.
    live.marks(2_915.0, 132.0)
    state = step(live, state)
    assert SOL_DIST in state.active
    live.state((ETH, SOL))  # evaluable again: the same alert, never cleared meanwhile
    live.marks(2_915.0, 145.0)
    state = step(live, state)
    assert state.active[ETH_DIST].id == alert_id


CROSS_BTC = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, TierTable.flat(0.005), leverage=10)
CROSS_ETH_NE = UnevaluatedPosition("ETH/USDT:USDT", Side.SHORT, 4.0, "no leverage bracket", entry_price=3050.0,
                                   margin_mode=MarginMode.CROSS)


def test_a_cross_position_beside_one_not_evaluated_is_not_fresh_and_its_alerts_are_held() -> None:
    clock = FakeClock(T0)
    store = MonitorStore(clock, thresholds=THRESHOLDS)
    store.add_account(AccountSpec("x", Exchange.BINANCE), risk_rules(Exchange.BINANCE))
    ch = Channel("x", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    ch.subscribed(clock.monotonic())
    store.apply(AccountState(AccountSpec("x", Exchange.BINANCE), 6_500.0, (CROSS_BTC,), as_of=T0,
                             exchange_margin_balance=5_900.0))
    ch.synced(clock.monotonic())
    store.apply(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 54_500.0, Stamp(T0, T0)))  # ~1 % from liq
    ch.data(clock.monotonic())
    state = step_store(store, clock, AlertState())
    held = {k: a.id for k, a in state.active.items() if k.rule in (AlertRule.RISK, AlertRule.DISTANCE_PCT)}
    assert held  # the account is at risk
    store.apply(AccountState(AccountSpec("x", Exchange.BINANCE), 6_500.0, (CROSS_BTC,),
                             as_of=T0 + timedelta(seconds=1), exchange_margin_balance=5_900.0,
                             unevaluated=(CROSS_ETH_NE,)))
    a = store.snapshot().account("x")
    btc = a.positions[0]
    assert not a.fresh and a.feeds_live
    assert not btc.fresh and btc.incomplete == "ETH/USDT:USDT short not evaluated"
    # Its figures lack ETH: every alert is held as it was (not cleared, not re-judged on partial figures).
    store.apply(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 64_000.0, Stamp(T0, T0 + timedelta(seconds=2))))
    state = step_store(store, clock, state)
    assert {k: a.id for k, a in state.active.items() if k in held} == held


def step_store(store: MonitorStore, clock: FakeClock, state: AlertState) -> AlertState:
    clock.advance(1.0)
    state, _ = evaluate(state, store.snapshot(), THRESHOLDS, clock.now())
    return state
