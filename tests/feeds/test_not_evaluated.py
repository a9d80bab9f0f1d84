"""One bad position never takes its account down nor vanishes: it is listed "not evaluated" with the
reason, its account reads stale, and the other positions and accounts carry on (emulator on 127.0.0.1)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertKey, AlertState
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import ChannelState
from liqwatch.status import Status
from liqwatch.store import AccountView
from tests.feeds.harness import Env, eventually, running

BINANCE = ("binance-main", "binance-degen")
HYPERLIQUID = ("hl-whale", "hl-isolated")


def view(env: Env, name: str) -> AccountView:
    return env.monitor.store.snapshot().account(name)


def live(env: Env, name: str) -> bool:
    return all(ch.state is ChannelState.LIVE for ch in env.monitor.store.channels(name))


def not_evaluated(env: Env, name: str, symbol: str) -> str | None:
    a = view(env, name)
    return next((u.reason for u in a.unevaluated if u.symbol == symbol), None)


@pytest.mark.slow(3)
async def test_binance_entry_price_zero_in_the_snapshot_is_listed_not_evaluated_and_the_account_goes_live() -> None:
    async with running(only=BINANCE) as env:
        env.emu.faults.bad_position("zero_entry", "BTCUSDT")  # before the first snapshot: the adapters wait
        await eventually(lambda: not_evaluated(env, "binance-main", "BTC/USDT:USDT") is not None, 15,
                         "the BTC position listed as not evaluated")
        await eventually(lambda: live(env, "binance-main"), 15, "binance-main LIVE")
        a = view(env, "binance-main")
        assert "entry price 0" in (not_evaluated(env, "binance-main", "BTC/USDT:USDT") or "")
        u = next(u for u in a.unevaluated if u.symbol == "BTC/USDT:USDT")
        assert u.side.value == "long" and u.size == pytest.approx(0.5) and u.entry_price is None
        assert u.mark_price is not None and u.mark_price > 0
        assert [p.risk.symbol for p in a.positions] == ["ETH/USDT:USDT"]  # the other one is evaluated
        assert a.status is Status.STALE and a.feeds_live and not a.fresh  # never "ok" with a position missing
        adapter = env.adapter("binance-main")
        reconciled = adapter.reconcile_ok
        await eventually(lambda: adapter.reconcile_ok >= reconciled + 2, 10, "reconciliations carry on")
        assert view(env, "binance-degen").status is not Status.STALE  # another account is untouched
        env.emu.faults.bad_position("zero_entry", "BTCUSDT", on=False)
        await eventually(lambda: not view(env, "binance-main").unevaluated, 10, "evaluated again once fixed")
        assert {p.risk.symbol for p in view(env, "binance-main").positions} == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
        await eventually(lambda: view(env, "binance-main").status is not Status.STALE, 10, "not stale any more")


async def test_binance_position_without_a_leverage_bracket_is_not_dropped_and_the_account_is_never_ok() -> None:
    async with running(only=BINANCE) as env:
        env.emu.faults.bad_position("no_bracket", "ETHUSDT")
        await eventually(lambda: not_evaluated(env, "binance-main", "ETH/USDT:USDT") is not None, 15,
                         "the ETH position listed as not evaluated")
        await eventually(lambda: live(env, "binance-main"), 15, "binance-main LIVE")
        a = view(env, "binance-main")
        assert "no leverage bracket" in (not_evaluated(env, "binance-main", "ETH/USDT:USDT") or "")
        u = next(u for u in a.unevaluated if u.symbol == "ETH/USDT:USDT")
        assert u.side.value == "short" and u.size == pytest.approx(4.0) and u.entry_price == pytest.approx(3050.0)
        assert [p.risk.symbol for p in a.positions] == ["BTC/USDT:USDT"]
        assert a.status is Status.STALE
        # binance-degen holds ETHUSDT too: its position is not evaluated either, and it reads stale.
        assert view(env, "binance-degen").status is Status.STALE
        env.emu.faults.bad_position("no_bracket", "ETHUSDT", on=False)
        await eventually(lambda: not view(env, "binance-main").unevaluated, 10, "evaluated once the bracket is back")


async def test_hyperliquid_entry_px_zero_is_listed_not_evaluated_and_the_account_goes_live() -> None:
    async with running(only=HYPERLIQUID) as env:
        env.emu.faults.bad_position("zero_entry", "BTC", exchange="hyperliquid")
        await eventually(lambda: not_evaluated(env, "hl-whale", "BTC/USDC:USDC") is not None, 15,
                         "the BTC position listed as not evaluated")
        await eventually(lambda: live(env, "hl-whale"), 15, "hl-whale LIVE")
        a = view(env, "hl-whale")
        assert "entry price 0" in (not_evaluated(env, "hl-whale", "BTC/USDC:USDC") or "")
        assert [p.risk.symbol for p in a.positions] == ["ETH/USDC:USDC"]
        assert a.status is Status.STALE
        # The other address, once its own feeds are LIVE (on a busy machine they may come after hl-whale's), is
        # not made stale by hl-whale's position.
        # Polled, not read once: on a loaded machine a row of its own can age past its limit for a moment;
        # made stale by hl-whale's position, it would stay so.
        await eventually(lambda: live(env, "hl-isolated") and view(env, "hl-isolated").status is not Status.STALE,
                         15, "hl-isolated LIVE and not stale")
        env.emu.faults.bad_position("zero_entry", "BTC", exchange="hyperliquid", on=False)
        await eventually(lambda: not view(env, "hl-whale").unevaluated, 10, "evaluated again once fixed")


async def test_hyperliquid_critical_alert_is_held_while_its_position_is_not_evaluated() -> None:
    # Thresholds wide enough that hl-isolated's 25x ETH long is critical by distance from the start.
    thresholds = ThresholdMap(AlertThresholds(distance_pct_warning=99.0, distance_pct_critical=98.0))
    key = AlertKey("hl-isolated", AlertRule.DISTANCE_PCT, "ETH/USDC:USDC long")
    async with running(only=HYPERLIQUID) as env:
        env.monitor.store.thresholds = thresholds  # one definition of danger: the store's and the alerts'
        state = AlertState()

        def step() -> AlertState:
            nonlocal state
            state, _ = evaluate(state, env.monitor.store.snapshot(), thresholds, datetime.now(UTC))
            return state

        await eventually(lambda: live(env, "hl-isolated") and key in step().active, 15, "ETH's critical alert")
        assert state.active[key].level is AlertLevel.CRITICAL
        alert_id = state.active[key].id
        env.emu.faults.bad_position("zero_entry", "ETH", exchange="hyperliquid")
        await eventually(lambda: not_evaluated(env, "hl-isolated", "ETH/USDC:USDC") is not None, 15,
                         "ETH listed as not evaluated")
        adapter = env.adapter("hl-isolated")
        reconciled = adapter.reconcile_ok

        def held() -> bool:
            assert key in step().active and state.active[key].id == alert_id, "the alert was cleared"
            return adapter.reconcile_ok >= reconciled + 2

        await eventually(held, 15, "two reconciliations with ETH not evaluated")
        assert state.active[key].level is AlertLevel.CRITICAL
        assert view(env, "hl-isolated").status is Status.CRITICAL  # held as its alert is: not merely stale
        env.emu.faults.bad_position("zero_entry", "ETH", exchange="hyperliquid", on=False)
        await eventually(lambda: not view(env, "hl-isolated").unevaluated, 10, "evaluated again")
        assert state.active[key].id == alert_id
