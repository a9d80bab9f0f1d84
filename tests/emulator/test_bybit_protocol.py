"""The emulator's Bybit v5 protocol on the wire: the retCode envelope with HTTP 200 errors, the X-BAPI checks,
tickers snapshot then deltas, the private socket's auth, heartbeat and idle close, and a liquidation's BustTrade."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from liqwatch.emulator import EmulatorServer

from .bybit_helpers import BYBIT_KEY, BYBIT_KEY_ISO, BYBIT_SECRET, BYBIT_SECRET_ISO, bybit_headers, bybit_scenario
from .helpers import LIMIT_S, recv_json, recv_until


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(bybit_scenario(), seed=5, autorun=False, hl_idle_timeout=None, bybit_idle_timeout=0.5)
    await asyncio.wait_for(server.start(), 10)
    try:
        yield server
    finally:
        await asyncio.wait_for(server.stop(), 10)


async def _get(emu: EmulatorServer, path: str, query: str, headers: dict[str, str] | None = None) -> Any:
    async with aiohttp.ClientSession() as http, http.get(f"{emu.rest_url}{path}?{query}", headers=headers) as resp:
        assert resp.status == 200  # Bybit sends its errors with HTTP 200 too
        return await resp.json()


def _ws_auth(key: str, secret: str) -> dict[str, Any]:
    expires = int(time.time() * 1000) + 10_000
    sig = hmac.new(secret.encode(), f"GET/realtime{expires}".encode(), hashlib.sha256).hexdigest()
    return {"op": "auth", "args": [key, expires, sig]}


async def test_envelope_and_auth_codes(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ok = await _get(emu, "/v5/market/tickers", "category=linear&symbol=BTCUSDT")
        assert (ok["retCode"], ok["retMsg"], ok["retExtInfo"]) == (0, "OK", {}) and isinstance(ok["time"], int)
        assert ok["result"]["list"][0]["markPrice"] == f"{emu.market.bybit['BTCUSDT'].mark:.1f}"
        assert (await _get(emu, "/v5/market/tickers", "category=option"))["result"]["list"] == []
        assert (await _get(emu, "/v5/market/tickers", "category=nope"))["retCode"] == 10001
        q = "category=linear&settleCoin=USDT"
        assert (await _get(emu, "/v5/position/list", q, bybit_headers(q)))["retCode"] == 0
        bad_key = bybit_headers(q, api_key="NOSUCHKEY000000000")
        assert (await _get(emu, "/v5/position/list", q, bad_key))["retCode"] == 10003
        bad_sign = bybit_headers(q, secret="wrong-secret-000000")
        answer = await _get(emu, "/v5/position/list", q, bad_sign)
        assert answer["retCode"] == 10004 and BYBIT_KEY not in answer["retMsg"]
        stale = bybit_headers(q, timestamp=int(time.time() * 1000) - 60_000)
        assert (await _get(emu, "/v5/position/list", q, stale))["retCode"] == 10002
        api = await _get(emu, "/v5/user/query-api", "", bybit_headers(""))
        assert api["result"]["readOnly"] == 1 and api["result"]["ips"] == ["127.0.0.1"]
        info = await _get(emu, "/v5/account/info", "", bybit_headers(""))
        assert info["result"]["marginMode"] == "REGULAR_MARGIN"
        wq = "accountType=UNIFIED"
        wallet = (await _get(emu, "/v5/account/wallet-balance", wq, bybit_headers(wq)))["result"]["list"][0]
        usdt = next(c for c in wallet["coin"] if c["coin"] == "USDT")
        assert float(usdt["borrowAmount"]) == pytest.approx(2000.0) and float(usdt["walletBalance"]) == -2000.0


async def test_tickers_snapshot_then_deltas(emu: EmulatorServer) -> None:
    async with (
        asyncio.timeout(LIMIT_S),
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{emu.ws_url}/v5/public/linear") as ws,
    ):
        await ws.send_json({"op": "subscribe", "args": ["tickers.BTCUSDT"], "req_id": "s1"})
        ack = await recv_json(ws)
        assert (ack["op"], ack["success"], ack["req_id"]) == ("subscribe", True, "s1")
        snap = await recv_json(ws)
        assert snap["topic"] == "tickers.BTCUSDT" and snap["type"] == "snapshot"
        assert {"markPrice", "indexPrice", "fundingRate", "nextFundingTime"} <= set(snap["data"])
        await emu.tick(1)
        delta = await recv_until(ws, lambda f: f.get("type") == "delta")
        assert delta["data"]["symbol"] == "BTCUSDT" and "openInterest" not in delta["data"]
        assert delta["data"]["markPrice"] == f"{emu.market.bybit['BTCUSDT'].mark:.1f}"
        await ws.send_json({"op": "ping", "req_id": "p1"})
        pong = await recv_until(ws, lambda f: f.get("op") == "ping")
        assert (pong["ret_msg"], pong["success"]) == ("pong", True)


async def test_private_auth_topics_and_idle_close(emu: EmulatorServer) -> None:
    async with (
        asyncio.timeout(LIMIT_S),
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{emu.ws_url}/v5/private") as ws,
    ):
        await ws.send_json({"op": "subscribe", "args": ["position"]})
        assert (await recv_json(ws))["ret_msg"] == "Request not authorized"
        await ws.send_json(_ws_auth(BYBIT_KEY, "wrong-secret-000000"))
        assert (await recv_json(ws))["success"] is False
        await ws.send_json(_ws_auth(BYBIT_KEY, BYBIT_SECRET))
        assert (await recv_json(ws))["success"] is True
        await ws.send_json({"op": "subscribe", "args": ["position", "wallet", "execution"]})
        assert (await recv_json(ws))["success"] is True
        await emu.tick(10)  # to 08:00: the funding settlement changes the position and the wallet (a push)
        position = await recv_until(ws, lambda f: f.get("topic") == "position")
        assert position["data"][0]["symbol"] == "BTCUSDT" and position["data"][0]["liqPrice"] == ""
        wallet = await recv_until(ws, lambda f: f.get("topic") == "wallet")
        assert wallet["data"][0]["accountType"] == "UNIFIED"
        await ws.send_json({"op": "ping", "req_id": "hb"})
        pong = await recv_until(ws, lambda f: f.get("op") == "pong")
        assert pong["req_id"] == "hb"
        # Then silence from the client: the server closes the socket after its idle timeout (0.5 s here).
        msg = await recv_until_closed(ws)
        assert msg == aiohttp.WSMsgType.CLOSE


async def recv_until_closed(ws: aiohttp.ClientWebSocketResponse, within: float = 5.0) -> aiohttp.WSMsgType:
    async with asyncio.timeout(within):
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return aiohttp.WSMsgType.CLOSE


async def test_isolated_liquidation_arrives_as_bust_trade(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        solved = emu.liquidation_price("kenji", "ETHUSDT")
        assert solved == pytest.approx(3000 - (310 - (6000 * 0.005 + 6000 * 0.95 * 0.00055)) / 2, rel=1e-9)
        async with http.ws_connect(f"{emu.ws_url}/v5/private", heartbeat=None) as ws:
            await ws.send_json(_ws_auth(BYBIT_KEY_ISO, BYBIT_SECRET_ISO))
            await recv_json(ws)
            await ws.send_json({"op": "subscribe", "args": ["execution", "position"]})
            await recv_json(ws)
            liquidated = False
            for _ in range(100):
                await ws.send_json({"op": "ping"})  # keep the 0.5 s idle timer from closing it
                result = await emu.tick(1)
                if result.liquidations:
                    liquidated = True
                    break
            assert liquidated and emu.market.bybit["ETHUSDT"].mark <= solved
            execution = await recv_until(
                ws, lambda f: f.get("topic") == "execution" and f["data"][0]["execType"] == "BustTrade")
            row = execution["data"][0]
            assert (row["side"], row["symbol"], row["execQty"]) == ("Sell", "ETHUSDT", "2.0")
            closed = await recv_until(ws, lambda f: f.get("topic") == "position" and f["data"][0]["size"] == "0")
            assert closed["data"][0]["side"] == ""


async def test_cross_liquidation_price_is_bybits_closed_form(emu: EmulatorServer) -> None:
    account = emu.sim.bybit_accounts["yuki"]
    btc = emu.market.bybit["BTCUSDT"]
    fixed = -2000.0 + 0.1 * emu.sim.path_prices()["BTC"] * 0.95 - account.accrued_interest
    mm = 0.5 * 59000 * 0.005 + 0.5 * 59000 * 0.9 * 0.00055
    # margin balance = fixed + 0.5 (P - 59000) meets the MM held at entry.
    assert emu.liquidation_price("yuki", "BTCUSDT") == pytest.approx(59000 + (mm - fixed) / 0.5, rel=1e-9)
    assert btc.mark > emu.liquidation_price("yuki", "BTCUSDT")  # type: ignore[operator]


async def test_rest_faults_in_bybits_shape(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        emu.faults.rest_error(429, exchange="bybit", retry_after=2)
        async with http.get(f"{emu.rest_url}/v5/market/time") as resp:
            body = await resp.json()
            assert resp.status == 200 and body["retCode"] == 10006  # Bybit's rate limit comes with HTTP 200
            reset = int(resp.headers["X-Bapi-Limit-Reset-Timestamp"])
            assert 1500 <= reset - body["time"] <= 2500
        emu.faults.rest_error(418, exchange="bybit")
        async with http.get(f"{emu.rest_url}/v5/market/time") as resp:
            assert resp.status == 403 and "text/html" in resp.headers["Content-Type"]  # the gateway's IP block
            assert "Retry-After" not in resp.headers  # Bybit's page names no end time
        emu.faults.rest_error(418, exchange="bybit", retry_after=2)
        async with http.get(f"{emu.rest_url}/v5/market/time") as resp:
            assert resp.status == 403 and resp.headers["Retry-After"] == "2"  # one given is kept
        emu.faults.rest_error(503, exchange="bybit")
        async with http.get(f"{emu.rest_url}/v5/market/time") as resp:
            assert resp.status == 503
        async with http.get(f"{emu.rest_url}/v5/market/time") as resp:
            assert resp.status == 200 and (await resp.json())["retCode"] == 0


async def test_control_state_lists_bybit_accounts(emu: EmulatorServer) -> None:
    state = emu.snapshot()
    yuki = next(a for a in state["accounts"] if a["name"] == "yuki")
    assert (yuki["exchange"], yuki["margin_mode"], yuki["borrow"]) == ("bybit", "cross", 2000.0)
    (pos,) = yuki["positions"]
    assert pos["liquidation_price"] == emu.liquidation_price("yuki", "BTCUSDT")
    assert {m["symbol"] for m in state["markets"] if m["exchange"] == "bybit"} == {"BTCUSDT", "ETHUSDT"}
