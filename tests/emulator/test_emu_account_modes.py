"""The emulator's account modes (Multi-Assets, Portfolio Margin) and its single-position snapshot faults,
on the wire and through the control endpoint."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest

from liqwatch.emulator import EmulatorServer

from .helpers import KEY_A, KEY_B, LIMIT_S, SECRET_A, SECRET_B, signed_query, small_scenario


async def signed(http: aiohttp.ClientSession, emu: EmulatorServer, path: str, key: str, secret: str) -> Any:
    async with http.get(f"{emu.rest_url}{path}?{signed_query({}, secret)}", headers={"X-MBX-APIKEY": key}) as r:
        return r.status, await r.json()


@pytest.fixture
async def modes() -> Any:
    sc = small_scenario()
    flags = {"alice": {"multi_assets_margin": True}, "bob": {"portfolio_margin": True}}
    accounts = tuple(a.model_copy(update=flags.get(a.name, {})) for a in sc.binance.accounts)
    sc = sc.model_copy(update={"binance": sc.binance.model_copy(update={"accounts": accounts})})
    server = EmulatorServer(sc, seed=5, autorun=False, hl_idle_timeout=None)
    await asyncio.wait_for(server.start(), 10)
    try:
        yield server
    finally:
        await asyncio.wait_for(server.stop(), 10)


async def test_multi_assets_and_portfolio_margin_accounts_answer_as_binance_does(modes: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        assert await signed(http, modes, "/fapi/v1/multiAssetsMargin", KEY_A, SECRET_A) == (
            200, {"multiAssetsMargin": True})
        status, account = await signed(http, modes, "/fapi/v2/account", KEY_A, SECRET_A)
        assert status == 200 and account["multiAssetsMargin"] is True
        status, body = await signed(http, modes, "/fapi/v2/account", KEY_B, SECRET_B)
        assert (status, body["code"]) == (401, -2015)  # the Futures API is closed to a PM account's keys
        status, body = await signed(http, modes, "/sapi/v1/account/apiRestrictions", KEY_B, SECRET_B)
        assert status == 200 and body["enablePortfolioMarginTrading"] is True and body["enableFutures"] is False


async def test_bad_position_fault_over_http(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        base = f"{emu.rest_url}/_emulator/faults/bad_position"
        async with http.post(base, json={"kind": "zero_entry", "symbol": "BTCUSDT"}) as r:
            assert r.status == 200
        async with http.post(base, json={"kind": "no_bracket", "symbol": "ETHUSDT"}) as r:
            assert r.status == 200
        async with http.post(base, json={"kind": "no_bracket", "symbol": "BTC", "exchange": "hyperliquid"}) as r:
            assert r.status == 400 and "Binance fault" in (await r.json())["error"]
        async with http.post(base, json={"kind": "negative"}) as r:
            assert r.status == 400
        _, rows = await signed(http, emu, "/fapi/v2/positionRisk", KEY_A, SECRET_A)
        entries = {row["symbol"]: row["entryPrice"] for row in rows if float(row["positionAmt"]) != 0}
        assert float(entries["BTCUSDT"]) == 0 and float(entries["ETHUSDT"]) > 0
        _, brackets = await signed(http, emu, "/fapi/v1/leverageBracket", KEY_A, SECRET_A)
        assert {b["symbol"] for b in brackets} == {"BTCUSDT"}
        async with http.get(f"{emu.rest_url}/_emulator/faults") as r:
            assert (await r.json())["bad_positions"] == {"zero_entry": ["binance:BTCUSDT"], "no_bracket": ["ETHUSDT"]}
        await emu.faults.clear()
        _, brackets = await signed(http, emu, "/fapi/v1/leverageBracket", KEY_A, SECRET_A)
        assert {b["symbol"] for b in brackets} == {"BTCUSDT", "ETHUSDT"}


async def test_hyperliquid_zero_entry_fault(emu: EmulatorServer) -> None:
    addr = emu.scenario.hyperliquid.accounts[0].address
    emu.faults.bad_position("zero_entry", "BTC", exchange="hyperliquid")
    body = {"type": "clearinghouseState", "user": addr}
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http, http.post(f"{emu.rest_url}/info",
                                                                                   json=body) as r:
        state = await r.json()
    entries = {p["position"]["coin"]: p["position"]["entryPx"] for p in state["assetPositions"]}
    assert float(entries["BTC"]) == 0 and float(entries["ETH"]) > 0
