"""``first_marks_at_once`` (the demo's emulator): a new Binance mark subscription gets the current marks at once,
before any push round; without it (every other emulator) nothing comes until the next round."""

from __future__ import annotations

import asyncio

import aiohttp

from liqwatch.emulator import EmulatorServer

from .helpers import LIMIT_S, no_frame, recv_json, small_scenario


async def test_a_new_subscriber_gets_the_current_marks_before_any_round() -> None:
    emu = EmulatorServer(small_scenario(), seed=7, autorun=False, first_marks_at_once=True)
    async with (
        asyncio.timeout(LIMIT_S),
        emu,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{emu.ws_url}/market/stream?streams=btcusdt@markPrice@1s/ethusdt@markPrice") as comb,
        http.ws_connect(f"{emu.ws_url}/market/ws") as raw,
    ):
        first = [await recv_json(comb), await recv_json(comb)]
        assert {f["stream"] for f in first} == {"btcusdt@markPrice@1s", "ethusdt@markPrice"}
        m = emu.market.binance["BTCUSDT"]
        btc = next(f["data"] for f in first if f["data"]["s"] == "BTCUSDT")
        assert btc["e"] == "markPriceUpdate" and btc["p"] == f"{m.mark:.8f}"
        assert emu.rounds == 0  # no round was published: these came with the subscription
        # A SUBSCRIBE on an open socket: the acknowledgement, then that stream's mark; one already
        # subscribed is not sent again.
        await raw.send_str('{"method":"SUBSCRIBE","params":["!markPrice@arr@1s"],"id":1}')
        assert await recv_json(raw) == {"result": None, "id": 1}
        arr = await recv_json(raw)
        assert [u["s"] for u in arr] == ["BTCUSDT", "ETHUSDT"]
        await raw.send_str('{"method":"SUBSCRIBE","params":["!markPrice@arr@1s"],"id":2}')
        assert await recv_json(raw) == {"result": None, "id": 2}
        assert await no_frame(raw, 0.1)
        assert await no_frame(comb, 0.1)


async def test_without_the_option_marks_wait_for_the_round() -> None:
    async with (
        asyncio.timeout(LIMIT_S),
        EmulatorServer(small_scenario(), seed=7, autorun=False) as emu,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{emu.ws_url}/market/ws/btcusdt@markPrice@1s") as raw,
    ):
        assert await no_frame(raw, 0.1)
        await emu.tick()
        assert (await recv_json(raw))["s"] == "BTCUSDT"
