"""Review of issue 10, the listen key rotated on a refused user-stream handshake: when the exchange goes on
refusing the handshake with the fresh key too (its user-stream endpoint failing, a gateway in front of it),
another rotation cannot help. ``_user_rejected`` promises "Rotate, once", yet every refusal of the fresh key
rotates again: one POST /fapi/v1/listenKey per dial, for as long as the refusals last. Over real sockets: the
emulator behind a relay that refuses every /private/ws handshake with Binance's -1125."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import web

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.monitor import Monitor
from tests.feeds.harness import FAST, eventually
from tests.feeds.ws_relay import Relay


class RefusingRelay(Relay):
    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.refuse = False
        self.posts = 0  # POST /fapi/v1/listenKey seen

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.method == "POST" and request.path == "/fapi/v1/listenKey":
            self.posts += 1
        if self.refuse and request.path.startswith("/private/ws"):
            return web.json_response({"code": -1125, "msg": "This listenKey does not exist."}, status=400)
        return await super()._handle(request)


@contextlib.asynccontextmanager
async def refusing() -> AsyncIterator[tuple[Any, RefusingRelay]]:
    async with asyncio.timeout(90), contextlib.AsyncExitStack() as stack:
        emu = await stack.enter_async_context(EmulatorServer(demo_scenario(), seed=11, autorun=True,
                                                             publish_interval=0.1))
        relay = await stack.enter_async_context(RefusingRelay(emu.port))
        url = f"127.0.0.1:{relay.port}"
        accs = [a for a in scenario_accounts(emu.scenario, f"http://{url}", f"ws://{url}") if a.name == "binance-main"]
        monitor: Any = await stack.enter_async_context(Monitor(accs, options=FAST))
        yield monitor, relay


async def test_refusals_that_go_on_with_the_fresh_key_do_not_rotate_at_every_dial() -> None:
    async with refusing() as (monitor, relay):
        assert await monitor.wait_live(15)
        adapter = monitor.adapters[0]
        stream = adapter.user_stream
        relay.refuse = True
        rejected, posts, rotations = stream.rejected_handshakes, relay.posts, adapter.listen_key_rotations
        stream.force_reconnect("review: the user stream's endpoint starts refusing every handshake")
        await eventually(lambda: stream.rejected_handshakes - rejected >= 12, 20, "a dozen refused handshakes")
        await eventually(lambda: not adapter._rotating, 5, "no rotation in flight")
        done = adapter.listen_key_rotations - rotations
        # One rotation answers the first refusal (the key may have died while the socket was down); a fresh key
        # refused again says the refusals are not about the key: a second, perhaps, never one per dial.
        assert done <= 2, f"{done} rotations ({relay.posts - posts} listen-key POSTs) for " \
                          f"{stream.rejected_handshakes - rejected} refused handshakes"
        # ...and the trader is told the user socket keeps being refused (an alert), once for the run.
        told = [i for i in monitor.store.incidents if "keeps being refused" in i]
        assert len(told) == 1 and told[0].startswith("binance-main: "), list(monitor.store.incidents)
