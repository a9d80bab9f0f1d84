"""Review of issue 13, OKX sizes: a swap's ``pos`` is contracts of ``ctVal`` coins. When the instrument's row could
not be read at start (its ``ctVal`` missing: counted as a bad item), a position on it is listed as not evaluated
(right), yet with its size in contracts shown as coins: 100 contracts of 0.01 BTC listed as 100 BTC, a
hundred times the position. A size that is not known must not be shown as a size. The emulator's
instruments answer loses BTC's ctVal; 127.0.0.1 only."""

from __future__ import annotations

from typing import Any

import pytest

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer
from liqwatch.feeds.account_config import FeedAccount
from tests.emulator.okx_helpers import okx_scenario
from tests.feeds.harness import eventually, running


async def test_okx_a_position_whose_contract_size_is_unknown_is_not_listed_in_contracts_as_coins() -> None:
    def accounts(emu: EmulatorServer) -> list[FeedAccount]:
        public = emu.okx_public
        real = public.instrument

        def instrument(m: Any) -> Any:
            row = dict(real(m))
            if row["instId"] == "BTC-USDT-SWAP":
                del row["ctVal"]
            return row

        public.instrument = instrument  # type: ignore[method-assign]
        return scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)

    async with running(scenario=okx_scenario(), only=("okx-iso",), okx_idle_timeout=None, accounts=accounts) as env:
        store = env.monitor.store

        def listed() -> list[Any]:
            return [u for u in store.snapshot().account("okx-iso").unevaluated if u.symbol == "BTC/USDT:USDT"]

        await eventually(lambda: bool(listed()), 10, "the BTC position listed, not evaluated")
        assert env.adapter("okx-iso").bad_items >= 1  # the instrument row was refused
        (pos,) = listed()
        assert pos.size != pytest.approx(100.0), f"size {pos.size}: the contracts shown as BTC (1 BTC held)"


