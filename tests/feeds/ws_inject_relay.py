"""A small websocket relay on 127.0.0.1 between an adapter and the emulator: every frame is passed on both
ways, and the test can slip a crafted frame to the client (``inject``), as if the exchange had sent it."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from aiohttp import web


class WsRelay:
    def __init__(self, target_ws_url: str) -> None:
        self.target = target_ws_url.rstrip("/")
        self.port = 0
        self._clients: set[web.WebSocketResponse] = set()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    async def __aenter__(self) -> WsRelay:
        self._session = aiohttp.ClientSession()
        app = web.Application()
        app.router.add_get("/{tail:.*}", self._serve)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        server = site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def __aexit__(self, *exc: object) -> None:
        for ws in list(self._clients):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(ws.close(), 2)
        if self._runner is not None:
            await self._runner.cleanup()
        if self._session is not None:
            await self._session.close()

    def clients(self, path_prefix: str) -> list[web.WebSocketResponse]:
        return [ws for ws in self._clients if getattr(ws, "relay_path", "").startswith(path_prefix)]

    async def inject(self, path_prefix: str, text: str) -> int:
        """Send ``text`` to every client connected on a path starting with ``path_prefix``."""
        targets = self.clients(path_prefix)
        for ws in targets:
            await ws.send_str(text)
        return len(targets)

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        assert self._session is not None
        client = web.WebSocketResponse(autoping=True)
        await client.prepare(request)
        client.relay_path = request.path_qs  # type: ignore[attr-defined]
        self._clients.add(client)
        try:
            async with self._session.ws_connect(self.target + request.path_qs, autoping=True) as upstream:

                async def down() -> None:
                    async for msg in upstream:
                        if msg.type is aiohttp.WSMsgType.TEXT:
                            await client.send_str(msg.data)
                    await client.close()

                task = asyncio.create_task(down())
                try:
                    async for msg in client:
                        if msg.type is aiohttp.WSMsgType.TEXT:
                            await upstream.send_str(msg.data)
                finally:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await task
        finally:
            self._clients.discard(client)
        return client
