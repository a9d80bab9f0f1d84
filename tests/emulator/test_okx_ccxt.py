"""Stock ccxt (``okx``, REST and pro) against the emulator's OKX v5: markets, positions, balances, marks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from liqwatch.emulator import EmulatorServer

from .helpers import LIMIT_S
from .okx_helpers import (
    OKX_KEY_ISO,
    OKX_KEY_MULTI,
    OKX_PASS_ISO,
    OKX_PASS_MULTI,
    OKX_SECRET_ISO,
    OKX_SECRET_MULTI,
    okx_ccxt,
    okx_scenario,
)


@pytest.fixture
async def okx() -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(okx_scenario(), seed=3, autorun=False, hl_idle_timeout=None, okx_idle_timeout=None)
    await asyncio.wait_for(server.start(), 10)
    try:
        yield server
    finally:
        await asyncio.wait_for(server.stop(), 10)


async def test_okx_rest_calls_parse(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = okx_ccxt(okx, OKX_KEY_ISO, OKX_SECRET_ISO, OKX_PASS_ISO)
        try:
            markets = await ex.load_markets()  # asks spot, futures, swap and option (and asset/currencies)
            assert set(markets) == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
            assert markets["BTC/USDT:USDT"]["contractSize"] == 0.01
            assert any(path == "/api/v5/asset/currencies" for _, path, _ in okx.requests)

            (pos,) = await ex.fetch_positions()
            assert (pos["symbol"], pos["side"], pos["contracts"], pos["marginMode"]) == (
                "BTC/USDT:USDT", "long", 100.0, "isolated")
            assert pos["contractSize"] == 0.01
            assert pos["liquidationPrice"] == pytest.approx(okx.liquidation_price("okx-iso", "BTC-USDT-SWAP"),
                                                            rel=1e-9)
            assert pos["markPrice"] == pytest.approx(okx.market.okx["BTC-USDT-SWAP"].mark)

            balance = await ex.fetch_balance()
            assert balance["USDT"]["free"] == pytest.approx(5000.0)

            rate = await ex.fetch_funding_rate("BTC/USDT:USDT")
            m = okx.market.okx["BTC-USDT-SWAP"]
            assert rate["fundingRate"] == pytest.approx(m.funding_rate, abs=1e-10)
            assert rate["fundingTimestamp"] == okx.sim.next_funding_ms(m)
            mark = await ex.fetch_mark_price("BTC/USDT:USDT")
            assert mark["markPrice"] == pytest.approx(m.mark)
            assert okx.requests and all(status == 200 for _, _, status in okx.requests)
        finally:
            await ex.close()


async def test_okx_multi_currency_balance_and_cross_positions(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = okx_ccxt(okx, OKX_KEY_MULTI, OKX_SECRET_MULTI, OKX_PASS_MULTI)
        try:
            await ex.load_markets()
            balance = await ex.fetch_balance()
            assert balance["BTC"]["total"] == pytest.approx(0.5)
            usdt = next(d for d in balance["info"]["data"][0]["details"] if d["ccy"] == "USDT")
            assert float(usdt["liab"]) == pytest.approx(1000.0)
            positions = {p["symbol"]: p for p in await ex.fetch_positions()}
            assert {s: p["marginMode"] for s, p in positions.items()} == {
                "ETH/USDT:USDT": "cross", "BTC/USDT:USDT": "cross"}
            eth = positions["ETH/USDT:USDT"]
            assert (eth["side"], eth["contracts"]) == ("short", 500.0)
            assert eth["liquidationPrice"] == pytest.approx(okx.liquidation_price("okx-multi", "ETH-USDT-SWAP"),
                                                            rel=1e-9)
        finally:
            await ex.close()


async def test_okx_pro_watch_mark_price_and_positions(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = okx_ccxt(okx, OKX_KEY_MULTI, OKX_SECRET_MULTI, OKX_PASS_MULTI)
        try:
            await ex.load_markets()
            ticker = await asyncio.wait_for(ex.watch_mark_price("BTC/USDT:USDT"), 5)
            assert ticker["markPrice"] == pytest.approx(okx.market.okx["BTC-USDT-SWAP"].mark)
            positions = await asyncio.wait_for(ex.watch_positions(), 5)
            assert {p["symbol"] for p in positions} >= {"ETH/USDT:USDT"}
            task = asyncio.create_task(ex.watch_balance())
            await asyncio.sleep(0.05)
            await okx.tick()
            balance = await asyncio.wait_for(task, 5)
            assert balance["BTC"]["total"] == pytest.approx(0.5)
        finally:
            await ex.close()
