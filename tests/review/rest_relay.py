"""The relaying proxy of tests/feeds/ws_relay.py, able to rewrite the exchange's REST answers too: a test sets
``rewrite(path, body) -> body`` to hand liqwatch a response the emulator would never send."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from liqwatch.clock import Clock
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.feeds.options import FeedOptions
from liqwatch.monitor import Monitor
from tests.feeds.harness import FAST
from tests.feeds.ws_relay import Relay, RelayEnv

_PASSED = ("x-mbx-apikey", "content-type", "retry-after")


class RewritingRelay(Relay):
    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.rewrite: Callable[[str, bytes], bytes] | None = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket" or self.rewrite is None:
            return await super()._handle(request)
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() in _PASSED}
        async with self._session.request(request.method, f"http://{self.target}{request.path_qs}",
                                         data=body or None, headers=headers) as r:
            data = await r.read()
            out = {k: v for k, v in r.headers.items() if k.lower() in _PASSED}
            status = r.status
        if status == 200:
            data = self.rewrite(request.path, data)
        return web.Response(status=status, body=data, headers=out)


@contextlib.asynccontextmanager
async def rewritten(only: tuple[str, ...], rewrite: Callable[[str, bytes], bytes],
                    options: FeedOptions = FAST, clock: Clock | None = None) -> AsyncIterator[RelayEnv]:
    """As ``relayed``, with ``rewrite`` in place from the first request on."""
    async with asyncio.timeout(120), contextlib.AsyncExitStack() as stack:
        emu = EmulatorServer(demo_scenario(), seed=11, speed=1.0, autorun=True, publish_interval=0.1)
        await stack.enter_async_context(emu)
        relay = await stack.enter_async_context(RewritingRelay(emu.port))
        relay.rewrite = rewrite
        accs = scenario_accounts(emu.scenario, f"http://127.0.0.1:{relay.port}", f"ws://127.0.0.1:{relay.port}")
        accs = [a for a in accs if a.name in only]
        monitor: Any = await stack.enter_async_context(Monitor(accs, options=options, clock=clock))
        yield RelayEnv(emu, monitor, relay)
