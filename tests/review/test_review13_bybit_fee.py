"""Review of issue 13, Bybit's margins include the fee to close (formulas.md, Bybit: MM = entry value x MMR -
deduction + fee to close, the fee at the symbol's taker rate). When ``account/fee-rate`` cannot be read at
start the adapter logs a warning and goes on without the fee: the maintenance margin and the liquidation price
are then not Bybit's, and the account is shown fresh with them, nothing on the screen saying so. The emulator's
fee-rate answers retCode 10001; 127.0.0.1 only, the market held still."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from liqwatch.emulator.bybit_auth import BybitError
from liqwatch.emulator.bybit_rest import BybitRest
from tests.emulator.bybit_helpers import bybit_scenario
from tests.feeds.harness import eventually, running


async def test_bybit_without_its_fee_rate_no_liquidation_price_of_another_definition_is_shown_fresh(
        monkeypatch: pytest.MonkeyPatch) -> None:
    async def no_fee_rate(self: BybitRest, request: Any, account: Any) -> Any:
        raise BybitError(10001, "params error")

    monkeypatch.setattr(BybitRest, "fee_rate", no_fee_rate)
    async with running(scenario=bybit_scenario(), only=("kenji",), autorun=False, bybit_idle_timeout=None) as env:
        async def ticking() -> None:
            while True:
                await env.emu.tick(1)
                await asyncio.sleep(0.05)

        ticker = asyncio.create_task(ticking())
        try:
            assert await env.monitor.wait_live(15)
        finally:
            ticker.cancel()
        await env.emu.flush()
        adapter = env.adapter("kenji")
        ok = adapter.reconcile_ok
        await eventually(lambda: adapter.reconcile_ok > ok, 10, "a reconciliation after the freeze")
        assert adapter.fee_rates == {}  # the fee-rate answer was refused
        view = env.monitor.store.snapshot().account("kenji")
        (iso,) = view.positions
        theirs = env.emu.liquidation_price("kenji", "ETHUSDT")
        shown_as_bybits = view.fresh and not view.warnings
        assert not shown_as_bybits or iso.risk.liquidation_price == pytest.approx(theirs, rel=1e-4), (
            f"liq {iso.risk.liquidation_price:.4f} shown fresh, Bybit's {theirs:.4f}")
