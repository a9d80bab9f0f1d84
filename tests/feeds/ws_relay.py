"""A relaying HTTP and websocket proxy on 127.0.0.1 between liqwatch and the emulator, for frames the emulator
would never send: a test injects crafted text frames into liqwatch's open sockets, and can swallow the real
ones it chooses (``drop``), while REST calls and pings pass through unchanged.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import aiohttp
from aiohttp import web

from liqwatch.clock import Clock
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.feeds.options import FeedOptions
from liqwatch.monitor import Monitor
from tests.feeds.harness import FAST

_PASSED_HEADERS = ("x-mbx-apikey", "content-type", "retry-after",
                   # Bybit's signed-request headers and its rate-limit reset time
                   "x-bapi-api-key", "x-bapi-timestamp", "x-bapi-sign", "x-bapi-recv-window",
                   "x-bapi-limit-reset-timestamp",
                   # OKX's
                   "ok-access-key", "ok-access-sign", "ok-access-timestamp", "ok-access-passphrase")


class Relay:
    def __init__(self, target_port: int) -> None:
        self.target = f"127.0.0.1:{target_port}"
        self.port = 0
        #: (path, text) -> True to swallow that real frame from the exchange.
        self.drop: Callable[[str, str], bool] | None = None
        self.last: dict[str, str] = {}  # the newest real text frame per marker seen in it (see ``watch``)
        self.watch: tuple[str, ...] = ('"clearinghouseState"',)
        self._down: dict[int, tuple[str, web.WebSocketResponse]] = {}
        self.close_codes: list[tuple[str, int | None]] = []  # (path, code) of each liqwatch socket, once closed
        #: (path, kind, text) of what liqwatch sent, kind "TEXT" or "PING": its subscriptions and its pings.
        self.sent: list[tuple[str, str, str]] = []
        #: (path, request body, status) of each REST call relayed: which question a POST /info asked.
        self.rest: list[tuple[str, str, int]] = []
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> Relay:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for _, ws in list(self._down.values()):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 1)
        if self._runner is not None:
            await asyncio.wait_for(self._runner.cleanup(), 5)
        if self._session is not None:
            await self._session.close()

    @property
    def ws_url(self) -> str:
        """Where liqwatch's websockets go to be relayed (REST may go straight to the emulator)."""
        return f"ws://127.0.0.1:{self.port}"

    def sockets(self, path_prefix: str) -> list[web.WebSocketResponse]:
        return [ws for path, ws in self._down.values() if path.startswith(path_prefix) and not ws.closed]

    async def inject(self, path_prefix: str, text: str) -> int:
        """Send ``text`` to every open liqwatch socket whose path starts with ``path_prefix``."""
        socks = self.sockets(path_prefix)
        for ws in socks:
            await ws.send_str(text)
        return len(socks)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self._relay_ws(request)
        assert self._session is not None
        body = await request.read()
        headers = {k: v for k, v in request.headers.items() if k.lower() in _PASSED_HEADERS}
        async with self._session.request(request.method, f"http://{self.target}{request.path_qs}",
                                         data=body or None, headers=headers) as r:
            data = await r.read()
            self.rest.append((request.path, body.decode("utf-8", "replace"), r.status))
            out = {k: v for k, v in r.headers.items() if k.lower() in _PASSED_HEADERS}
            return web.Response(status=r.status, body=data, headers=out)

    async def _relay_ws(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        down = web.WebSocketResponse(autoping=False, max_msg_size=8 * 1024 * 1024)
        await down.prepare(request)
        try:
            up = await self._session.ws_connect(f"ws://{self.target}{request.path_qs}", autoping=False)
        except (aiohttp.ClientError, OSError):
            await down.close()
            return down
        self._down[id(down)] = (request.path, down)
        path = request.path

        async def from_exchange() -> None:
            async for msg in up:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    for marker in self.watch:
                        if marker in msg.data:
                            self.last[marker] = msg.data
                    if self.drop is not None and self.drop(path, msg.data):
                        continue
                    await down.send_str(msg.data)
                elif msg.type is aiohttp.WSMsgType.BINARY:
                    await down.send_bytes(msg.data)
                elif msg.type is aiohttp.WSMsgType.PING:
                    await down.ping(msg.data)
                elif msg.type is aiohttp.WSMsgType.PONG:
                    await down.pong(msg.data)
                else:
                    break

        async def from_liqwatch() -> None:
            async for msg in down:
                if msg.type is aiohttp.WSMsgType.TEXT:
                    self.sent.append((path, "TEXT", msg.data))
                    await up.send_str(msg.data)
                elif msg.type is aiohttp.WSMsgType.BINARY:
                    await up.send_bytes(msg.data)
                elif msg.type is aiohttp.WSMsgType.PING:
                    self.sent.append((path, "PING", ""))
                    await up.ping(msg.data)
                elif msg.type is aiohttp.WSMsgType.PONG:
                    await up.pong(msg.data)
                else:
                    break

        tasks = [asyncio.create_task(from_exchange()), asyncio.create_task(from_liqwatch())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await t
            self._down.pop(id(down), None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(up.close(), 1)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(down.close(), 1)
            self.close_codes.append((path, down.close_code))
        return down


@dataclass
class RelayEnv:
    emu: EmulatorServer
    monitor: Monitor
    relay: Relay

    def adapter(self, name: str):  # type: ignore[no-untyped-def]
        return next(a for a in self.monitor.adapters if a.account.name == name)

    def channel(self, account: str, name: str):  # type: ignore[no-untyped-def]
        return next(c for c in self.monitor.store.channels(account) if c.name == name)


@contextlib.asynccontextmanager
async def relayed(only: tuple[str, ...], options: FeedOptions = FAST, clock: Clock | None = None,
                  **emu_kwargs: object) -> AsyncIterator[RelayEnv]:
    """The emulator, a Relay in front of it, and a Monitor on ``only`` of the demo's accounts, all bounded."""
    async with asyncio.timeout(120), contextlib.AsyncExitStack() as stack:
        emu = EmulatorServer(demo_scenario(), seed=11, speed=1.0, autorun=True, publish_interval=0.1,
                             **emu_kwargs)  # type: ignore[arg-type]
        await stack.enter_async_context(emu)
        relay = await stack.enter_async_context(Relay(emu.port))
        accs = scenario_accounts(emu.scenario, f"http://127.0.0.1:{relay.port}", f"ws://127.0.0.1:{relay.port}")
        accs = [a for a in accs if a.name in only]
        monitor = await stack.enter_async_context(Monitor(accs, options=options, clock=clock))
        yield RelayEnv(emu, monitor, relay)
