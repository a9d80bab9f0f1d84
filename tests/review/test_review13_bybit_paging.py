"""Review of issue 13, Bybit's position/list is paged: "limit: data size per page, [1, 200], default 20", the rest
behind ``nextPageCursor`` (Bybit v5, Get Position Info). The adapter asks once, with no ``limit`` and no
``cursor``: an account with more positions than one page sees only the first page, and the others are never
shown (or, once seen on the stream, read as closed while blind at the next reconciliation). The emulator's
position/list is paged as Bybit pages it, the default page cut to 1 row (standing for Bybit's 20, so that the
scenario stays small); an explicit ``limit`` is honoured up to 200, as Bybit does. 127.0.0.1 only."""

from __future__ import annotations

from typing import Any

import pytest

from liqwatch.emulator.bybit_rest import BybitRest
from liqwatch.emulator.scenario import scenario_from_toml
from tests.emulator.bybit_helpers import BYBIT_TOML
from tests.feeds.harness import eventually, running

DEFAULT_PAGE = 1  # Bybit's is 20

SECOND = """
[[bybit.accounts.positions]]
symbol = "ETHUSDT"
side = "short"
size = 1.0
entry = 3000.0
leverage = 10
"""


async def test_bybit_every_page_of_position_list_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    real = BybitRest.position_list

    async def paged(self: BybitRest, request: Any, account: Any) -> Any:
        whole = await real(self, request, account)
        rows = whole["list"]
        limit = min(int(request.query.get("limit", DEFAULT_PAGE)), 200)
        start = int(request.query.get("cursor") or 0)
        more = start + limit < len(rows)
        return {**whole, "list": rows[start:start + limit], "nextPageCursor": str(start + limit) if more else ""}

    monkeypatch.setattr(BybitRest, "position_list", paged)
    text = BYBIT_TOML.replace('[[bybit.accounts]]\nname = "kenji"', SECOND + '\n[[bybit.accounts]]\nname = "kenji"', 1)
    scenario = scenario_from_toml(text, source="bybit two positions")
    assert len(next(a for a in scenario.bybit.accounts if a.name == "yuki").positions) == 2
    async with running(scenario=scenario, only=("yuki",), autorun=False, bybit_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("yuki")
        ok = adapter.reconcile_ok
        await eventually(lambda: adapter.reconcile_ok > ok, 10, "a reconciliation")
        held = sorted((p.symbol, p.side.value) for p in env.monitor.store.book("yuki").positions())
        assert held == [("BTC/USDT:USDT", "long"), ("ETH/USDT:USDT", "short")], held
