"""Every fault control, and what it does on the wire."""

from __future__ import annotations

import asyncio
import time

import aiohttp
import orjson
import pytest

from liqwatch.emulator import EmulatorServer

from .helpers import KEY_A, LIMIT_S, SECRET_A, binance_ccxt, no_frame, recv_json, wait_for_subscription

MARK = "/market/ws/btcusdt@markPrice@1s"


async def _hl(http: aiohttp.ClientSession, emu: EmulatorServer, **kw: object) -> aiohttp.ClientWebSocketResponse:
    ws = await http.ws_connect(f"{emu.ws_url}/ws", **kw)  # type: ignore[arg-type]
    await ws.send_str('{"method":"subscribe","subscription":{"type":"allMids"}}')
    assert (await recv_json(ws))["channel"] == "subscriptionResponse"
    assert (await recv_json(ws))["channel"] == "allMids"
    return ws


async def test_drop_closes_with_a_close_frame_or_resets(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        binance = await http.ws_connect(f"{emu.ws_url}{MARK}")
        hl = await _hl(http, emu)
        assert await emu.faults.drop("binance-market") == 1
        msg = await binance.receive(timeout=3)
        assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1001
        await emu.tick()
        assert (await recv_json(hl))["channel"] == "allMids"  # the other exchange is untouched
        assert await emu.faults.drop("hyperliquid", reset=True) == 1
        msg = await hl.receive(timeout=3)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        assert hl.close_code == 1006  # no close frame: the TCP connection was reset


async def test_drop_surfaces_as_network_error_in_ccxt(emu: EmulatorServer) -> None:
    import ccxt

    async with asyncio.timeout(LIMIT_S):
        ex = binance_ccxt(emu, KEY_A, SECRET_A)
        try:
            await ex.load_markets()
            watch = asyncio.create_task(ex.watch_mark_price("BTC/USDT:USDT"))
            await wait_for_subscription(emu)
            await emu.faults.drop("all")
            with pytest.raises(ccxt.NetworkError):
                await asyncio.wait_for(watch, 5)
        finally:
            await ex.close()


async def test_half_open_sends_nothing_at_all(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        binance = await http.ws_connect(f"{emu.ws_url}{MARK}", autoping=False)
        hl = await _hl(http, emu)
        assert emu.faults.half_open("all") == 2
        await emu.tick()
        await binance.ping()
        await hl.send_str('{"method":"ping"}')
        assert await no_frame(binance, 0.3)  # no data, no pong
        assert await no_frame(hl, 0.1)
        assert not binance.closed and not hl.closed  # and no FIN either
        await emu.faults.clear()
        await emu.tick()
        assert (await recv_json(binance))["e"] == "markPriceUpdate"


async def test_stop_data_keeps_answering_pings(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        binance = await http.ws_connect(f"{emu.ws_url}{MARK}", autoping=False)
        hl = await _hl(http, emu)
        assert emu.faults.stop_data("all") == 2
        await emu.tick()
        await binance.ping(b"hi")
        msg = await binance.receive(timeout=3)
        assert (msg.type, msg.data) == (aiohttp.WSMsgType.PONG, b"hi")
        await hl.send_str('{"method":"ping"}')
        assert await recv_json(hl) == {"channel": "pong"}
        await emu.tick()
        assert await no_frame(binance, 0.2)
        assert await no_frame(hl, 0.05)


async def test_ack_without_data_acknowledges_and_never_sends(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        before = await http.ws_connect(f"{emu.ws_url}{MARK}")
        emu.faults.ack_without_data("all")
        after = await http.ws_connect(f"{emu.ws_url}/market/ws")
        await after.send_str('{"method":"SUBSCRIBE","params":["btcusdt@markPrice@1s"],"id":1}')
        assert await recv_json(after) == {"result": None, "id": 1}
        hl = await http.ws_connect(f"{emu.ws_url}/ws")
        await hl.send_str('{"method":"subscribe","subscription":{"type":"allMids"}}')
        assert (await recv_json(hl))["channel"] == "subscriptionResponse"
        await emu.tick(2)
        assert (await recv_json(before))["e"] == "markPriceUpdate"  # older subscriptions still flow
        assert await no_frame(after, 0.2)
        assert await no_frame(hl, 0.05)


@pytest.mark.parametrize("kind", ["truncated", "invalid_utf8", "nan", "not_json", "binary"])
async def test_malformed_frames(emu: EmulatorServer, kind: str) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{emu.ws_url}{MARK}")
        assert emu.faults.malformed("binance-market", kind) == 1
        msg = await ws.receive(timeout=3)
        if kind == "invalid_utf8":
            assert msg.type == aiohttp.WSMsgType.ERROR  # a text frame that is not UTF-8: the client must fail it
            return
        if kind == "binary":
            assert msg.type == aiohttp.WSMsgType.BINARY
            return
        assert msg.type == aiohttp.WSMsgType.TEXT
        with pytest.raises(orjson.JSONDecodeError):
            orjson.loads(msg.data)
        if kind == "nan":
            assert "NaN" in msg.data
        await emu.tick()  # the connection stays usable
        assert (await recv_json(ws))["e"] == "markPriceUpdate"


async def test_unknown_events(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        binance = await http.ws_connect(f"{emu.ws_url}{MARK}")
        hl = await _hl(http, emu)
        assert emu.faults.unknown_event("all") == 2
        assert (await recv_json(binance))["e"] == "futuresUnknownEvent"
        assert (await recv_json(hl))["channel"] == "unknownChannel"


async def test_duplicate_reorder_and_stale_replay(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{emu.ws_url}{MARK}")
        emu.faults.duplicate("binance-market", count=1)
        await emu.tick()
        first, again = await recv_json(ws), await recv_json(ws)
        assert first == again
        await emu.tick()
        single = await recv_json(ws)
        assert await no_frame(ws, 0.1)

        emu.faults.reorder("binance-market", count=1)
        marks = []
        for _ in range(2):
            await emu.tick()
            marks.append(f"{emu.market.binance['BTCUSDT'].mark:.8f}")
        assert marks[0] != marks[1]
        received = [(await recv_json(ws))["p"], (await recv_json(ws))["p"]]
        assert received == [marks[1], marks[0]]  # the older event arrives after the newer one

        assert emu.faults.replay_stale("binance-market") == 1
        stale = await recv_json(ws)
        assert stale == first  # the oldest frame kept, after everything newer
        assert single != stale


async def test_rest_errors_carry_binance_codes_and_retry_after(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        url = f"{emu.rest_url}/fapi/v1/premiumIndex"
        emu.faults.rest_error(429, exchange="binance")
        async with http.get(url) as r:
            assert r.status == 429 and r.headers["Retry-After"] == "1"
            assert (await r.json())["code"] == -1003
        async with http.get(url) as r:
            assert r.status == 200  # one request by default
        emu.faults.rest_error(418, exchange="binance")
        async with http.get(url) as r:
            assert r.status == 418 and r.headers["Retry-After"] == "120"
            assert "banned until" in (await r.json())["msg"]
        emu.faults.rest_error(503, exchange="all", count=2)
        for _ in range(2):
            async with http.get(url) as r:
                assert r.status == 503 and (await r.json())["code"] == -1001
        emu.faults.rest_error(429, exchange="hyperliquid", seconds=0.3, retry_after=7)
        for _ in range(3):
            async with http.post(f"{emu.rest_url}/info", json={"type": "meta"}) as r:
                assert r.status == 429 and r.headers["Retry-After"] == "7"
        async with http.get(url) as r:
            assert r.status == 200  # Binance is not affected by a Hyperliquid fault
        await asyncio.sleep(0.35)
        async with http.post(f"{emu.rest_url}/info", json={"type": "meta"}) as r:
            assert r.status == 200


async def test_a_rest_error_aimed_at_one_call_spares_the_others(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        marks = f"{emu.rest_url}/fapi/v1/premiumIndex"
        emu.faults.rest_error(500, exchange="binance", count=1, path="PUT /fapi/v1/listenKey")
        assert emu.faults.status()["rest_errors"][0]["path"] == "PUT /fapi/v1/listenKey"
        async with http.get(marks) as r:
            assert r.status == 200  # another path
        async with http.get(f"{emu.rest_url}/fapi/v1/listenKey") as r:
            assert r.status != 500  # the same path, another method
        async with http.put(f"{emu.rest_url}/fapi/v1/listenKey") as r:
            assert r.status == 500 and (await r.json())["code"] == -1001
        async with http.put(f"{emu.rest_url}/fapi/v1/listenKey") as r:
            assert r.status != 500  # spent
        emu.faults.rest_error(503, exchange="binance", count=1, path="/fapi/v1/premium")  # a prefix, any method
        async with http.get(marks) as r:
            assert r.status == 503
        with pytest.raises(ValueError, match="path must start with /"):
            emu.faults.rest_error(500, path="PUT fapi/v1/listenKey")


async def test_slow_responses(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        emu.faults.slow(0.4, exchange="hyperliquid", count=1)
        started = time.monotonic()
        async with http.post(f"{emu.rest_url}/info", json={"type": "allMids"}) as r:
            assert r.status == 200
        assert time.monotonic() - started >= 0.4
        started = time.monotonic()
        async with http.post(f"{emu.rest_url}/info", json={"type": "allMids"}) as r:
            assert r.status == 200
        assert time.monotonic() - started < 0.3


async def test_expire_listen_key(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        headers = {"X-MBX-APIKEY": KEY_A}
        async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers=headers) as r:
            key = (await r.json())["listenKey"]
        ws = await http.ws_connect(f"{emu.ws_url}/private/ws?listenKey={key}")
        assert emu.faults.expire_listen_key("alice") == 1
        event = await recv_json(ws)
        assert event["e"] == "listenKeyExpired" and event["listenKey"] == key and isinstance(event["E"], str)
        async with http.put(f"{emu.rest_url}/fapi/v1/listenKey", headers=headers) as r:
            assert (await r.json())["code"] == -1125
        await emu.tick(10)  # funding settles, but the expired stream says nothing more
        assert await no_frame(ws, 0.2)
        async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers=headers) as r:
            assert (await r.json())["listenKey"] != key  # a new key after expiry


async def test_refuse_connections_for_a_while(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{emu.ws_url}{MARK}")
        await emu.faults.refuse_connections(0.5)
        async with aiohttp.ClientSession() as fresh:  # a new TCP connection, not a pooled one
            with pytest.raises(aiohttp.ClientConnectorError):
                await fresh.get(f"{emu.rest_url}/fapi/v1/time")
        await emu.tick()
        assert (await recv_json(ws))["e"] == "markPriceUpdate"  # sockets already open live on
        await asyncio.sleep(0.7)
        async with aiohttp.ClientSession() as fresh, fresh.get(f"{emu.rest_url}/fapi/v1/time") as r:
            assert r.status == 200


async def test_http_control_endpoint(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"{emu.ws_url}{MARK}", autoping=False)
        base = f"{emu.rest_url}/_emulator"
        async with http.post(f"{base}/faults/stop_data", json={"target": "binance-market"}) as r:
            assert await r.json() == {"ok": True, "fault": "stop_data", "affected": 1}
        async with http.get(f"{base}/faults") as r:
            status = await r.json()
            assert status["connections"][0]["data_stopped"] is True
        async with http.post(f"{base}/tick", json={"steps": 2}) as r:
            assert (await r.json())["steps"] == 2
        assert await no_frame(ws, 0.2)
        async with http.delete(f"{base}/faults") as r:
            assert r.status == 200
        async with http.post(f"{base}/tick", json={}) as r:
            assert r.status == 200
        assert (await recv_json(ws))["e"] == "markPriceUpdate"
        async with http.post(f"{base}/faults/rest_error", json={"status": 429, "retry_after": 3}) as r:
            assert r.status == 200
        async with http.get(f"{emu.rest_url}/fapi/v1/time") as r:
            assert r.status == 429 and r.headers["Retry-After"] == "3"
        async with http.post(f"{base}/faults/teleport", json={}) as r:
            assert r.status == 404
        async with http.post(f"{base}/faults/drop", json={"target": 5}) as r:
            assert r.status == 400
        async with http.post(f"{base}/faults/malformed", json={"kind": "nonsense"}) as r:
            assert r.status == 400
        async with http.post(f"{base}/faults/expire_listen_key", json={}) as r:
            assert (await r.json())["affected"] == 0
        async with http.get(f"{base}/state") as r:
            state = await r.json()
        alice = next(a for a in state["accounts"] if a["name"] == "alice")
        eth = next(p for p in alice["positions"] if p["symbol"] == "ETHUSDT")
        assert eth["liquidation_price"] == pytest.approx(emu.liquidation_price("alice", "ETHUSDT"))
        async with http.post(f"{base}/faults/drop", json={"target": "binance"}) as r:
            assert (await r.json())["affected"] == 1


async def test_nan_frames_on_every_kind_of_socket(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": KEY_A}) as r:
            key = (await r.json())["listenKey"]
        sockets = [
            await http.ws_connect(f"{emu.ws_url}{MARK}"),
            await http.ws_connect(f"{emu.ws_url}/private/ws?listenKey={key}"),
            await _hl(http, emu),
        ]
        assert emu.faults.malformed("all", "nan") == 3
        for ws in sockets:
            msg = await ws.receive(timeout=3)
            assert msg.type == aiohttp.WSMsgType.TEXT and "NaN" in msg.data
            with pytest.raises(orjson.JSONDecodeError):
                orjson.loads(msg.data)
