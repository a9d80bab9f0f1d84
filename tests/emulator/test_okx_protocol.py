"""OKX v5 in the emulator: the envelope, signed REST with OKX's auth codes, the websockets with text ping,
login, subscriptions, the 30 s idle close (shortened here) and the 64008 notice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import aiohttp
import orjson
import pytest

from liqwatch.emulator import EmulatorServer

from .helpers import LIMIT_S, recv_until
from .okx_helpers import (
    OKX_KEY_ISO,
    OKX_KEY_MULTI,
    OKX_PASS_ISO,
    OKX_PASS_MULTI,
    OKX_SECRET_ISO,
    OKX_SECRET_MULTI,
    okx_headers,
    okx_scenario,
    ws_login_args,
)


@pytest.fixture
async def okx() -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(okx_scenario(), seed=3, autorun=False, hl_idle_timeout=None, okx_idle_timeout=None)
    await asyncio.wait_for(server.start(), 10)
    try:
        yield server
    finally:
        await asyncio.wait_for(server.stop(), 10)


async def _get(emu: EmulatorServer, path_qs: str, headers: dict[str, str] | None = None) -> tuple[int, dict]:
    async with aiohttp.ClientSession() as s, s.get(emu.rest_url + path_qs, headers=headers or {}) as r:
        return r.status, orjson.loads(await r.read())


async def _signed(emu: EmulatorServer, path_qs: str, *, multi: bool = False) -> tuple[int, dict]:
    if multi:
        h = okx_headers(OKX_SECRET_MULTI, OKX_KEY_MULTI, OKX_PASS_MULTI, "GET", path_qs)
    else:
        h = okx_headers(OKX_SECRET_ISO, OKX_KEY_ISO, OKX_PASS_ISO, "GET", path_qs)
    return await _get(emu, path_qs, h)


async def test_public_envelope_and_errors_with_http_200(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        status, body = await _get(okx, "/api/v5/public/time")
        assert status == 200 and body["code"] == "0" and body["msg"] == "" and int(body["data"][0]["ts"]) > 0
        status, body = await _get(okx, "/api/v5/public/instruments")
        assert status == 200 and body["code"] == "50014" and body["data"] == []
        status, body = await _get(okx, "/api/v5/public/instruments?instType=SWAP")
        btc = next(r for r in body["data"] if r["instId"] == "BTC-USDT-SWAP")
        assert btc["ctVal"] == "0.01" and btc["settleCcy"] == "USDT" and btc["ctType"] == "linear"
        _, body = await _get(okx, "/api/v5/public/instruments?instType=SPOT")
        assert body == {"code": "0", "msg": "", "data": []}
        status, body = await _get(okx, "/api/v5/public/funding-rate?instId=NOPE-USDT-SWAP")
        assert status == 200 and body["code"] == "51001"
        _, body = await _get(okx, "/api/v5/public/position-tiers?instType=SWAP&tdMode=cross&instFamily=ETH-USDT")
        assert [(r["tier"], r["mmr"], r["maxSz"]) for r in body["data"]] == [("1", "0.005", "1000"), ("2", "0.01", "")]
        _, body = await _get(okx, "/api/v5/public/discount-rate-interest-free-quota?ccy=BTC")
        assert [(d["minAmt"], d["maxAmt"], d["discountRate"]) for d in body["data"][0]["details"]] == [
            ("0", "20000", "0.98"), ("20000", "", "0.9")]
        await okx.tick(2)
        _, body = await _get(okx, "/api/v5/market/mark-price-candles?instId=BTC-USDT-SWAP&bar=1m&limit=3")
        assert len(body["data"]) == 3 and len(body["data"][0]) == 6
        assert int(body["data"][0][0]) > int(body["data"][1][0])  # newest first


async def test_auth_codes_come_with_http_401(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        path = "/api/v5/account/balance"
        status, body = await _get(okx, path)
        assert (status, body["code"]) == (401, "50103")
        good = okx_headers(OKX_SECRET_ISO, OKX_KEY_ISO, OKX_PASS_ISO, "GET", path)
        cases = {
            "50111": {**good, "OK-ACCESS-KEY": "0a1b2c3d-0000-4000-8000-00000000dead"},
            "50105": {**good, "OK-ACCESS-PASSPHRASE": "wrong"},
            "50113": {**good, "OK-ACCESS-SIGN": "AAAA"},
            "50112": {**good, "OK-ACCESS-TIMESTAMP": "yesterday"},
            "50102": okx_headers(OKX_SECRET_ISO, OKX_KEY_ISO, OKX_PASS_ISO, "GET", path,
                                 when=datetime.now(UTC) - timedelta(seconds=90)),
        }
        for code, headers in cases.items():
            status, body = await _get(okx, path, headers)
            assert (status, body["code"]) == (401, code), code
        status, body = await _get(okx, path, good)
        assert (status, body["code"]) == (200, "0")


async def test_account_payloads(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        _, body = await _signed(okx, "/api/v5/account/config")
        assert body["data"][0]["acctLv"] == "2" and body["data"][0]["perm"] == "read_only"
        _, body = await _signed(okx, "/api/v5/account/positions?instType=SWAP")
        (pos,) = body["data"]
        assert pos["mgnMode"] == "isolated" and pos["pos"] == "100" and pos["margin"] == "6000"
        assert float(pos["liqPx"]) == pytest.approx(okx.liquidation_price("okx-iso", "BTC-USDT-SWAP"), rel=1e-9)
        _, body = await _signed(okx, "/api/v5/account/balance", multi=True)
        bal = body["data"][0]
        usdt = next(d for d in bal["details"] if d["ccy"] == "USDT")
        assert usdt["liab"] == "1000" and float(bal["adjEq"]) > 0 and float(bal["mgnRatio"]) > 1
        _, body = await _signed(okx, "/api/v5/account/config", multi=True)
        assert body["data"][0]["acctLv"] == "3"
        for path in ("/api/v5/account/interest-rate", "/api/v5/account/interest-accrued", "/api/v5/account/bills",
                     "/api/v5/account/positions-history", "/api/v5/asset/currencies"):
            status, body = await _signed(okx, path, multi=True)
            assert (status, body["code"]) == (200, "0"), path


async def test_interest_accrues_hourly_and_counts_against_equity(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        account = okx.sim.okx.accounts["okx-multi"]
        await okx.tick(11)  # 07:59:50 -> 08:00:01: one whole hour boundary
        assert account.interest["USDT"] == pytest.approx(1000.0 * 0.00000417)
        _, body = await _signed(okx, "/api/v5/account/interest-accrued", multi=True)
        row = body["data"][0]
        assert row["ccy"] == "USDT" and float(row["interest"]) == pytest.approx(0.00417)
        markets = okx.sim.okx.markets
        debt = account.debt_usd()
        assert debt == pytest.approx(1000.0 + 0.00417)  # accrued interest counts against equity, as OKX counts it
        cash = sum(account.discounted(c, v) for c, v in account.balances.items())
        assert account.adjusted_equity(markets) == pytest.approx(cash + account.cross_upl(markets) - debt)


async def _ws(emu: EmulatorServer, path: str, session: aiohttp.ClientSession) -> aiohttp.ClientWebSocketResponse:
    return await session.ws_connect(emu.ws_url + path, autoping=True)


async def test_public_ws_text_ping_and_mark_price(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as s:
        ws = await _ws(okx, "/ws/v5/public", s)
        await ws.send_str("ping")
        msg = await asyncio.wait_for(ws.receive(), 3)
        assert msg.data == "pong"
        await ws.send_str(orjson.dumps({"op": "subscribe", "args": [
            {"channel": "mark-price", "instId": "BTC-USDT-SWAP"},
            {"channel": "funding-rate", "instId": "BTC-USDT-SWAP"}]}).decode())
        ack = await recv_until(ws, lambda d: d.get("event") == "subscribe")
        assert ack["arg"]["channel"] == "mark-price" and "connId" in ack
        await okx.tick(1)
        mark = await recv_until(ws, lambda d: d.get("arg", {}).get("channel") == "mark-price" and "data" in d)
        assert float(mark["data"][0]["markPx"]) > 0
        await recv_until(ws, lambda d: d.get("arg", {}).get("channel") == "funding-rate" and "data" in d)
        await ws.close()


async def test_private_ws_login_then_channels(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as s:
        ws = await _ws(okx, "/ws/v5/private", s)
        await ws.send_str(orjson.dumps({"op": "subscribe", "args": [{"channel": "positions", "instType": "SWAP"}]})
                          .decode())
        err = await recv_until(ws, lambda d: d.get("event") == "error")
        assert err["code"] == "60011"
        stamp = str(int(datetime.now(UTC).timestamp()))
        await ws.send_str(orjson.dumps(ws_login_args(OKX_SECRET_MULTI, OKX_KEY_MULTI, "bad", stamp)).decode())
        assert (await recv_until(ws, lambda d: d.get("event") == "error"))["code"] == "60024"
        await ws.send_str(orjson.dumps(ws_login_args(OKX_SECRET_MULTI, OKX_KEY_MULTI, OKX_PASS_MULTI, stamp)).decode())
        login = await recv_until(ws, lambda d: d.get("event") == "login")
        assert login["code"] == "0"
        await ws.send_str(orjson.dumps({"op": "subscribe", "args": [
            {"channel": "positions", "instType": "SWAP"}, {"channel": "account"},
            {"channel": "balance_and_position"}]}).decode())
        pos = await recv_until(ws, lambda d: d.get("arg", {}).get("channel") == "positions" and "data" in d)
        assert {p["instId"] for p in pos["data"]} == {"ETH-USDT-SWAP", "BTC-USDT-SWAP"}
        acct = await recv_until(ws, lambda d: d.get("arg", {}).get("channel") == "account" and "data" in d)
        assert float(acct["data"][0]["adjEq"]) > 0
        bp = await recv_until(ws, lambda d: d.get("arg", {}).get("channel") == "balance_and_position" and "data" in d)
        assert bp["data"][0]["eventType"] == "snapshot"
        await ws.close()


async def test_notice_64008_and_idle_close() -> None:
    server = EmulatorServer(okx_scenario(), seed=3, autorun=False, hl_idle_timeout=None, okx_idle_timeout=0.3)
    async with asyncio.timeout(LIMIT_S), server, aiohttp.ClientSession() as s:
        ws = await _ws(server, "/ws/v5/public", s)
        async with s.post(server.rest_url + "/_emulator/okx/notice", json={"target": "okx"}) as r:
            assert (await r.json())["affected"] == 1
        notice = await recv_until(ws, lambda d: d.get("event") == "notice")
        assert notice["code"] == "64008"
        msg = await asyncio.wait_for(ws.receive(), 5)  # nothing pushed for 0.3 s: the server closes
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_rest_error_fault_answers_with_okx_codes(okx: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as s:
        for status, code in ((429, "50011"), (503, "50001")):
            async with s.post(okx.rest_url + "/_emulator/faults/rest_error",
                              json={"status": status, "exchange": "okx", "count": 1, "retry_after": 1}) as r:
                assert r.status == 200
            got, body = await _get(okx, "/api/v5/public/time")
            assert (got, body["code"]) == (status, code)
        got, body = await _get(okx, "/api/v5/public/time")
        assert (got, body["code"]) == (200, "0")
        async with s.post(okx.rest_url + "/_emulator/faults/rest_error",
                          json={"status": 429, "exchange": "binance", "count": 1}) as r:
            assert r.status == 200
        got, _ = await _get(okx, "/api/v5/public/time")  # a Binance fault leaves OKX alone
        assert got == 200


async def test_a_round_sends_every_socket_the_same_bytes(okx: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    """OKX stamps an event once: two sockets subscribed to one channel get the same frame in a round, whatever
    the time spent between the two sends (a renewal's overlap hands a frame on once by its bytes; a per-socket
    time made both copies pass, out of order: the okx renewal contract test's failure)."""
    ticks = iter(range(1_796_000_000_000, 1_797_000_000_000))
    monkeypatch.setattr(okx.sim, "now_ms", lambda: next(ticks))  # every read of the time a millisecond later
    sub = orjson.dumps({"op": "subscribe", "args": [{"channel": "mark-price", "instId": "BTC-USDT-SWAP"}]}).decode()
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as s:
        sockets = [await _ws(okx, "/ws/v5/public", s) for _ in range(2)]
        for ws in sockets:
            await ws.send_str(sub)
            await recv_until(ws, lambda d: d.get("arg", {}).get("channel") == "mark-price" and "data" in d)
        await okx.tick(1)
        rounds = [await recv_until(ws, lambda d: d.get("arg", {}).get("channel") == "mark-price" and "data" in d)
                  for ws in sockets]
        assert rounds[0] == rounds[1]
        for ws in sockets:
            await ws.close()
