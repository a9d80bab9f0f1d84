"""The Bybit adapter against the emulator over 127.0.0.1: positions, balances, marks and funding flow; our
liquidation prices agree with the emulator's independent solve within 0.01 %, cross and isolated; a key that
can trade is refused; a liquidation arrives as a BustTrade execution."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.bybit import BybitAdapter
from tests.emulator.bybit_helpers import bybit_scenario
from tests.feeds.harness import eventually, running


async def test_positions_balances_marks_and_liquidation_prices() -> None:
    async with running(scenario=bybit_scenario(), only=("yuki", "kenji"), autorun=False,
                       bybit_idle_timeout=5.0) as env:
        async def ticking() -> None:
            while True:
                await env.emu.tick(1)
                await asyncio.sleep(0.05)

        ticker = asyncio.create_task(ticking())
        try:
            assert await env.monitor.wait_live(15)
        finally:
            ticker.cancel()
        await env.emu.tick(1)
        await env.emu.flush()
        store = env.monitor.store
        marks = {s: m.mark for s, m in env.emu.market.bybit.items()}
        await eventually(lambda: store.book("yuki").mark("BTC/USDT:USDT") == marks["BTCUSDT"], 10, "the last mark")
        reconciled = {a.account.name: a.reconcile_ok for a in env.monitor.adapters}
        await eventually(lambda: all(a.reconcile_ok > reconciled[a.account.name] for a in env.monitor.adapters),
                         10, "a reconciliation after the freeze")
        snap = store.snapshot()
        yuki, kenji = snap.account("yuki"), snap.account("kenji")
        assert yuki.risk is not None and kenji.risk is not None
        (cross,) = yuki.positions
        (iso,) = kenji.positions
        assert cross.risk.margin_mode.value == "cross" and iso.risk.margin_mode.value == "isolated"
        assert cross.risk.liquidation_price == pytest.approx(env.emu.liquidation_price("yuki", "BTCUSDT"), rel=1e-4)
        assert iso.risk.liquidation_price == pytest.approx(env.emu.liquidation_price("kenji", "ETHUSDT"), rel=1e-4)
        # The cross wallet is Bybit's margin balance without PnL: the USDT borrow and BTC collateral in it.
        account = env.emu.sim.bybit_accounts["yuki"]
        assert yuki.risk.cross_wallet_balance == pytest.approx(
            account.cross_fixed_balance(env.emu.sim.path_prices()), rel=1e-6)
        # The figures Bybit also reports agree with ours: the isolated liqPrice, and the cross account MM rate.
        assert iso.risk.exchange_liquidation_price == pytest.approx(iso.risk.liquidation_price, rel=1e-4)
        wallet = env.emu.bybit_rest.payloads.wallet(env.emu.sim.bybit_accounts["yuki"])
        assert yuki.risk.margin_ratio == pytest.approx(float(wallet["accountMMRate"]), rel=1e-4)
        # An isolated account's cross wallet is its USDT without the position's margin; its equity is Bybit's.
        assert kenji.risk.cross_wallet_balance == pytest.approx(1000.0, abs=1e-6)
        for view, name in ((yuki, "yuki"), (kenji, "kenji")):
            assert view.risk.exchange_margin_balance_gap == pytest.approx(0.0, abs=1e-4), name
        assert {f.state for f in snap.feeds if f.account in ("yuki", "kenji")} == {ChannelState.LIVE}
        adapter = next(a for a in env.monitor.adapters if a.account.name == "yuki")
        assert isinstance(adapter, BybitAdapter) and adapter.fee_rates["BTC/USDT:USDT"] == 0.00055


async def test_funding_flows_into_the_ledger() -> None:
    async with running(scenario=bybit_scenario(), only=("yuki",), autorun=False, bybit_idle_timeout=5.0) as env:
        assert await env.monitor.wait_live(15)
        await env.emu.tick(12)  # past 08:00: the settlement
        execution = env.emu.sim.bybit_accounts["yuki"].executions[-1]
        assert execution.exec_type == "Funding"

        def paid() -> bool:
            (p,) = env.monitor.store.snapshot().account("yuki").positions
            return p.funding_paid_since_open is not None

        await eventually(paid, 10, "the funding payment on the position")
        (p,) = env.monitor.store.snapshot().account("yuki").positions
        assert p.funding_paid_since_open == pytest.approx(-execution.fee, rel=1e-6)


async def test_a_trading_key_is_refused() -> None:
    async with running(scenario=bybit_scenario(), only=("trader",), autorun=False) as env:
        await eventually(lambda: env.monitor.store.snapshot().account("trader").disabled_reason is not None, 10,
                         "the account disabled")
        reason = env.monitor.store.snapshot().account("trader").disabled_reason
        assert reason is not None and "read-only" in reason


async def test_a_key_revoked_while_running_disables_the_account() -> None:
    async with running(scenario=bybit_scenario(), only=("yuki",), autorun=False, bybit_idle_timeout=5.0) as env:
        assert await env.monitor.wait_live(15)
        # The key deleted on Bybit: every signed call is answered retCode 10003 (with HTTP 200).
        env.emu.sim.bybit_by_key = {}
        await eventually(lambda: env.monitor.store.snapshot().account("yuki").disabled_reason is not None, 10,
                         "the account disabled")
        reason = env.monitor.store.snapshot().account("yuki").disabled_reason
        assert reason is not None and "10003" in reason and "authentication failed" in reason


async def test_an_unreadable_position_row_keeps_the_position_listed_not_evaluated() -> None:
    async with running(scenario=bybit_scenario(), only=("yuki",), autorun=False, bybit_idle_timeout=5.0) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("yuki")
        payloads = env.emu.bybit_rest.payloads
        real = payloads.position

        def broken(account, p):  # type: ignore[no-untyped-def]
            return {**real(account, p), "size": "not-a-number"}

        payloads.position = broken  # type: ignore[method-assign]
        bad = adapter.bad_items
        await eventually(lambda: adapter.bad_items > bad, 10, "the unreadable row counted")
        view = env.monitor.store.snapshot().account("yuki")
        await eventually(lambda: bool(env.monitor.store.snapshot().account("yuki").unevaluated), 10,
                         "the position listed, not evaluated")
        view = env.monitor.store.snapshot().account("yuki")
        (u,) = view.unevaluated
        assert u.symbol == "BTC/USDT:USDT" and "unreadable" in u.reason


async def test_a_refused_websocket_auth_disables_the_account(monkeypatch: pytest.MonkeyPatch) -> None:
    import liqwatch.emulator.bybit_ws as bybit_ws

    monkeypatch.setattr(bybit_ws, "verify_ws_auth", lambda *_: "Invalid sign")  # REST still accepts the key
    async with running(scenario=bybit_scenario(), only=("yuki",), autorun=True, bybit_idle_timeout=5.0) as env:
        await eventually(lambda: env.monitor.store.snapshot().account("yuki").disabled_reason is not None, 10,
                         "the account disabled")
        reason = env.monitor.store.snapshot().account("yuki").disabled_reason
        assert reason is not None and "websocket auth refused: Invalid sign" in reason
