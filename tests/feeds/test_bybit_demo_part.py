"""The Bybit part prepared for the demo (liqwatch.emulator.bybit_demo), appended to the demo scenario: it parses,
and its account goes live through the adapter with our liquidation price on the emulator's solve."""

from __future__ import annotations

import pytest

from liqwatch.emulator.bybit_demo import BYBIT_DEMO_TOML
from liqwatch.emulator.demo_scenario import DEMO_TOML
from liqwatch.emulator.scenario import scenario_from_toml
from tests.feeds.harness import eventually, running


async def test_the_demo_with_a_bybit_uta_account() -> None:
    scenario = scenario_from_toml(DEMO_TOML + BYBIT_DEMO_TOML, source="demo+bybit")
    async with running(scenario=scenario, only=("bybit-uta",), autorun=False, bybit_idle_timeout=5.0) as env:
        assert await env.monitor.wait_live(15)
        await env.emu.tick(1)
        store = env.monitor.store
        mark = env.emu.market.bybit["BTCUSDT"].mark
        await eventually(lambda: store.book("bybit-uta").mark("BTC/USDT:USDT") == mark, 10, "the last mark")
        adapter = env.adapter("bybit-uta")
        done = adapter.reconcile_ok
        await eventually(lambda: adapter.reconcile_ok > done, 10, "a reconciliation after the last step")
        view = store.snapshot().account("bybit-uta")
        (pos,) = view.positions
        assert pos.risk.liquidation_price == pytest.approx(env.emu.liquidation_price("bybit-uta", "BTCUSDT"),
                                                           rel=1e-4)
        account = env.emu.sim.bybit_accounts["bybit-uta"]
        # The borrow and the collateral (at its ratio) are in the cross wallet, as Bybit counts them.
        assert view.risk is not None and view.risk.cross_wallet_balance == pytest.approx(
            account.cross_fixed_balance(env.emu.sim.path_prices()), rel=1e-6)
