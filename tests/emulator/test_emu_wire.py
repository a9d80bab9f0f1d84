"""The wire as a raw client sees it: Binance's routed streams and REST shapes, Hyperliquid's info and websocket."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import aiohttp
import orjson
import pytest

from liqwatch.clock import FakeClock
from liqwatch.emulator import EmulatorServer, demo_scenario

from .helpers import (
    ADDR_A,
    ADDR_B,
    KEY_A,
    KEY_B,
    LIMIT_S,
    SECRET_A,
    SECRET_B,
    no_frame,
    recv_json,
    recv_until,
    signed_query,
    small_scenario,
)


async def test_binance_raw_and_combined_mark_price_streams(emu: EmulatorServer) -> None:
    async with (
        asyncio.timeout(LIMIT_S),
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{emu.ws_url}/market/ws/btcusdt@markPrice@1s") as raw,
        http.ws_connect(f"{emu.ws_url}/market/stream?streams=ethusdt@markPrice@1s/btcusdt@markPrice") as comb,
    ):
        await emu.tick()
        update = await recv_json(raw)
        m = emu.market.binance["BTCUSDT"]
        assert update["e"] == "markPriceUpdate" and update["s"] == "BTCUSDT"
        assert update["p"] == f"{m.mark:.8f}" and update["i"] == f"{m.index:.8f}"
        assert isinstance(update["E"], int) and update["T"] == emu.sim.next_funding_ms(m)
        assert float(update["r"]) == pytest.approx(m.funding_rate, abs=1e-8)
        first = await recv_json(comb)
        second = await recv_json(comb)
        # Round 0 carries the 3-second stream too; then it skips two rounds.
        assert {first["stream"], second["stream"]} == {"ethusdt@markPrice@1s", "btcusdt@markPrice"}
        await emu.tick()
        only = await recv_json(comb)
        assert only["stream"] == "ethusdt@markPrice@1s" and only["data"]["s"] == "ETHUSDT"
        assert await no_frame(comb, 0.1)


async def test_binance_subscribe_unsubscribe_and_all_market_array(emu: EmulatorServer) -> None:
    async with (
        asyncio.timeout(LIMIT_S),
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{emu.ws_url}/market/ws") as ws,
    ):
        await ws.send_str('{"method":"SUBSCRIBE","params":["!markPrice@arr@1s"],"id":1}')
        assert await recv_json(ws) == {"result": None, "id": 1}
        await ws.send_str('{"method":"LIST_SUBSCRIPTIONS","id":2}')
        assert await recv_json(ws) == {"result": ["!markPrice@arr@1s"], "id": 2}
        await emu.tick()
        arr = await recv_json(ws)
        assert [u["s"] for u in arr] == ["BTCUSDT", "ETHUSDT"] and all(u["e"] == "markPriceUpdate" for u in arr)
        await ws.send_str('{"method":"UNSUBSCRIBE","params":["!markPrice@arr@1s"],"id":3}')
        assert await recv_json(ws) == {"result": None, "id": 3}
        await emu.tick()
        assert await no_frame(ws, 0.1)
        await ws.send_str('{"method":"FLY","params":[],"id":4}')
        error = await recv_json(ws)
        assert error["id"] == 4 and error["error"]["code"] == 2


async def test_binance_legacy_url_acknowledges_but_sends_nothing(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http, http.ws_connect(f"{emu.ws_url}/ws/0") as ws:
        await ws.send_str('{"method":"SUBSCRIBE","params":["btcusdt@markPrice@1s"],"id":7}')
        assert await recv_json(ws) == {"result": None, "id": 7}
        await emu.tick(3)
        assert await no_frame(ws, 0.2)


async def test_binance_server_pings_and_closes_without_pongs() -> None:
    async with (
        asyncio.timeout(LIMIT_S),
        EmulatorServer(small_scenario(), autorun=False, binance_ping_interval=0.1, binance_pong_timeout=0.5) as emu,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{emu.ws_url}/market/ws/btcusdt@markPrice", autoping=True) as polite,
        http.ws_connect(f"{emu.ws_url}/market/ws/btcusdt@markPrice", autoping=False) as mute,
    ):
        msg = await mute.receive(timeout=2)
        assert msg.type == aiohttp.WSMsgType.PING
        assert await recv_until_close(mute, 3) == 1008
        await asyncio.sleep(0.3)
        assert not polite.closed  # its pongs keep it alive


async def recv_until_close(ws: aiohttp.ClientWebSocketResponse, within: float) -> int | None:
    async with asyncio.timeout(within):
        while True:
            msg = await ws.receive()
            if msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING):
                return ws.close_code


async def test_binance_listen_key_lifecycle(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        headers = {"X-MBX-APIKEY": KEY_A}
        async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers=headers) as r:
            key = (await r.json())["listenKey"]
        async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers=headers) as r:
            assert (await r.json())["listenKey"] == key  # an active key is returned again, and extended
        async with http.put(f"{emu.rest_url}/fapi/v1/listenKey", headers=headers) as r:
            assert r.status == 200 and (await r.json())["listenKey"] == key
        async with http.ws_connect(f"{emu.ws_url}/private/ws?listenKey={key}") as ws:
            async with http.delete(f"{emu.rest_url}/fapi/v1/listenKey", headers=headers) as r:
                assert r.status == 200
            assert await recv_until_close(ws, 3) == 1000
        async with http.put(f"{emu.rest_url}/fapi/v1/listenKey", headers=headers) as r:
            assert r.status == 400 and await r.json() == {"code": -1125, "msg": "This listenKey does not exist."}
        with pytest.raises(aiohttp.WSServerHandshakeError):
            async with http.ws_connect(f"{emu.ws_url}/private/ws?listenKey={key}"):
                pass


async def test_listen_key_expires_after_its_ttl() -> None:
    async with asyncio.timeout(LIMIT_S):
        clock = FakeClock(datetime.now(UTC))
        async with (
            EmulatorServer(small_scenario(), autorun=False, clock=clock, listen_key_ttl=60.0) as emu,
            aiohttp.ClientSession() as http,
        ):
            async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": KEY_A}) as r:
                key = (await r.json())["listenKey"]
            async with http.ws_connect(f"{emu.ws_url}/private/ws?listenKey={key}") as ws:
                clock.advance(61.0)
                await emu.tick()
                event = await recv_json(ws)
                assert event["e"] == "listenKeyExpired" and event["listenKey"] == key
                assert isinstance(event["E"], str)  # Binance sends E as a string in this event only
                await emu.tick(15)  # funding at 08:00 would push ACCOUNT_UPDATE; the stream is now silent
                assert await no_frame(ws, 0.2)
                assert not ws.closed


async def test_binance_funding_account_update_shapes(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        keys = {}
        for k in (KEY_A, KEY_B):
            async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": k}) as r:
                keys[k] = (await r.json())["listenKey"]
        async with (
            http.ws_connect(f"{emu.ws_url}/private/ws?listenKey={keys[KEY_A]}") as alice,
            http.ws_connect(f"{emu.ws_url}/private/ws?listenKey={keys[KEY_B]}") as bob,
        ):
            await emu.tick(10)
            a = await recv_json(alice)
            assert a["e"] == "ACCOUNT_UPDATE" and a["a"]["m"] == "FUNDING_FEE"
            assert a["a"]["B"][0]["a"] == "USDT" and float(a["a"]["B"][0]["cw"]) == pytest.approx(
                emu.sim.binance_accounts["alice"].cross_wallet
            )
            # Only the isolated position rides along; cross funding pushes the balance alone.
            assert [(p["s"], p["mt"], p["ps"]) for p in a["a"]["P"]] == [("ETHUSDT", "isolated", "BOTH")]
            b = await recv_json(bob)
            assert b["a"]["m"] == "FUNDING_FEE" and b["a"]["P"] == []


async def test_binance_rest_shapes(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        async with http.get(f"{emu.rest_url}/fapi/v1/exchangeInfo") as r:
            info = await r.json()
            assert int(r.headers["X-MBX-USED-WEIGHT-1M"]) >= 1
        sym = info["symbols"][0]
        assert sym["contractType"] == "PERPETUAL" and sym["marginAsset"] == "USDT"
        assert {f["filterType"] for f in sym["filters"]} >= {"PRICE_FILTER", "LOT_SIZE"}
        async with http.get(f"{emu.rest_url}/fapi/v1/premiumIndex") as r:
            assert [row["symbol"] for row in await r.json()] == ["BTCUSDT", "ETHUSDT"]
        async with http.get(f"{emu.rest_url}/fapi/v1/premiumIndex?symbol=NOPEUSDT") as r:
            assert r.status == 400 and (await r.json())["code"] == -1121
        async with http.get(f"{emu.rest_url}/fapi/v1/time") as r:
            assert abs((await r.json())["serverTime"] - emu.sim.now_ms()) < 5000

        async def signed(path: str, key: str = KEY_A, secret: str = SECRET_A) -> object:
            async with http.get(
                f"{emu.rest_url}{path}?" + signed_query({}, secret), headers={"X-MBX-APIKEY": key}
            ) as r:
                assert r.status == 200, await r.text()
                return await r.json()

        v2 = await signed("/fapi/v2/positionRisk", KEY_B, SECRET_B)
        assert isinstance(v2, list)
        # v2 lists every symbol and, in hedge mode, both sides; v3 only open positions.
        assert [(row["symbol"], row["positionSide"]) for row in v2] == [
            ("BTCUSDT", "LONG"),
            ("BTCUSDT", "SHORT"),
            ("ETHUSDT", "LONG"),
            ("ETHUSDT", "SHORT"),
        ]
        assert v2[0]["marginType"] == "cross" and v2[0]["leverage"] == "10" and float(v2[1]["positionAmt"]) == -0.1
        v3 = await signed("/fapi/v3/positionRisk", KEY_B, SECRET_B)
        assert isinstance(v3, list) and len(v3) == 2 and "maintMargin" in v3[0] and "leverage" not in v3[0]
        acc2 = await signed("/fapi/v2/account")
        acc3 = await signed("/fapi/v3/account")
        assert isinstance(acc2, dict) and isinstance(acc3, dict)
        assert "feeTier" in acc2 and "feeTier" not in acc3
        assert len(acc2["positions"]) == 2 and len(acc3["positions"]) == 2
        wallet = emu.sim.binance_accounts["alice"].wallet_balance()
        assert float(acc3["totalWalletBalance"]) == pytest.approx(wallet)
        assert float(acc3["assets"][0]["walletBalance"]) == pytest.approx(wallet)
        bal = await signed("/fapi/v2/balance")
        assert isinstance(bal, list) and bal[0]["asset"] == "USDT"
        restrictions = await signed("/sapi/v1/account/apiRestrictions")
        assert restrictions == restrictions | {
            "enableReading": True,
            "enableFutures": False,
            "enableWithdrawals": False,
        }
        brackets = await signed("/fapi/v1/leverageBracket")
        assert isinstance(brackets, list) and brackets[0]["brackets"][0]["notionalCap"] == 50000


async def test_binance_funding_info_lists_only_adjusted_symbols(demo: EmulatorServer) -> None:
    async with (
        asyncio.timeout(LIMIT_S),
        aiohttp.ClientSession() as http,
        http.get(f"{demo.rest_url}/fapi/v1/fundingInfo") as r,
    ):
        assert [(row["symbol"], row["fundingIntervalHours"]) for row in await r.json()] == [("SOLUSDT", 4)]


async def test_hyperliquid_info_shapes(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:

        async def info(body: dict[str, object]) -> object:
            async with http.post(f"{emu.rest_url}/info", json=body) as r:
                assert r.status == 200, await r.text()
                return await r.json()

        meta = await info({"type": "meta"})
        assert isinstance(meta, dict)
        assert [u["name"] for u in meta["universe"]] == ["BTC", "ETH"] and meta["universe"][0]["maxLeverage"] == 40
        both = await info({"type": "metaAndAssetCtxs"})
        assert isinstance(both, list) and both[1][0]["markPx"] == f"{emu.market.hyperliquid['BTC'].mark:.1f}"
        mids = await info({"type": "allMids"})
        assert isinstance(mids, dict) and set(mids) == {"BTC", "ETH"}
        assert await info({"type": "perpDexs"}) == [None]
        state = await info({"type": "clearinghouseState", "user": ADDR_A})
        assert isinstance(state, dict) and isinstance(state["time"], int)
        positions = {p["position"]["coin"]: p["position"] for p in state["assetPositions"]}
        assert positions["BTC"]["leverage"] == {"type": "cross", "value": 10}
        iso = positions["ETH"]["leverage"]
        assert iso["type"] == "isolated" and float(iso["rawUsd"]) == pytest.approx(900.0 - 4 * 3000.0)
        assert float(positions["ETH"]["liquidationPx"]) == pytest.approx(
            emu.liquidation_price("carol", "ETH"), rel=1e-9
        )
        empty = await info({"type": "clearinghouseState", "user": ADDR_B})
        assert isinstance(empty, dict) and empty["assetPositions"] == []
        unknown = await info({"type": "clearinghouseState", "user": "0x" + "c" * 40})
        assert isinstance(unknown, dict) and unknown["marginSummary"]["accountValue"] == "0.0"
        async with http.post(f"{emu.rest_url}/info", json={"type": "teleport"}) as r:
            assert r.status == 422
        async with http.post(f"{emu.rest_url}/info", json={"type": "clearinghouseState", "user": "bob"}) as r:
            assert r.status == 422


async def test_hyperliquid_ws_subscriptions_and_ping(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http, http.ws_connect(f"{emu.ws_url}/ws") as ws:
        await ws.send_str('{"method":"ping"}')
        assert await recv_json(ws) == {"channel": "pong"}
        for sub in (
            {"type": "activeAssetCtx", "coin": "ETH"},
            {"type": "allMids"},
            {"type": "webData2", "user": ADDR_A},
            {"type": "userFundings", "user": ADDR_A},
        ):
            await ws.send_str(orjson.dumps({"method": "subscribe", "subscription": sub}).decode())
            ack = await recv_json(ws)
            assert ack == {"channel": "subscriptionResponse", "data": {"method": "subscribe", "subscription": sub}}
            first = await recv_json(ws)
            assert first["channel"] == sub["type"]
            if sub["type"] == "userFundings":
                assert first["data"]["isSnapshot"] is True and first["data"]["fundings"] == []
            if sub["type"] == "webData2":
                assert first["data"]["clearinghouseState"]["assetPositions"]
        await ws.send_str('{"method":"subscribe","subscription":{"type":"allMids"}}')
        assert (await recv_json(ws))["data"].startswith("Already subscribed")
        await ws.send_str('{"method":"subscribe","subscription":{"type":"bogus"}}')
        assert (await recv_json(ws))["channel"] == "error"
        await emu.tick(10)  # funding at 08:00: the next userFundings message is not a snapshot
        funding = await recv_until(ws, lambda m: m["channel"] == "userFundings")
        assert funding["data"]["isSnapshot"] is False
        assert {f["coin"] for f in funding["data"]["fundings"]} == {"BTC", "ETH"}
        await ws.send_str('{"method":"unsubscribe","subscription":{"type":"allMids"}}')
        await recv_until(ws, lambda m: m["channel"] == "subscriptionResponse" and m["data"]["method"] == "unsubscribe")


async def test_hyperliquid_closes_an_idle_connection_but_not_a_pinging_one() -> None:
    async with asyncio.timeout(LIMIT_S):
        async with (
            EmulatorServer(demo_scenario(), autorun=False, hl_idle_timeout=0.4) as emu,
            aiohttp.ClientSession() as http,
        ):
            idle = await http.ws_connect(f"{emu.ws_url}/ws")
            async with http.ws_connect(f"{emu.ws_url}/ws") as busy:
                for _ in range(4):
                    await busy.send_str('{"method":"ping"}')
                    assert await recv_json(busy) == {"channel": "pong"}
                    await asyncio.sleep(0.2)
                assert await recv_until_close(idle, 2) == 1000
                assert not busy.closed
