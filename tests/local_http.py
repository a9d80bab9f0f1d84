"""A small aiohttp application served on a free port of 127.0.0.1 for one test: an exchange-shaped answer a
test crafts (a redirect, an oversized body, an error envelope), reached by its base URL."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from aiohttp import web


@contextlib.asynccontextmanager
async def served(app: web.Application) -> AsyncIterator[str]:
    """``app`` on 127.0.0.1 (port 0), as ``http://127.0.0.1:PORT``; stopped within 5 s on the way out."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    try:
        yield f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]
    finally:
        await asyncio.wait_for(runner.cleanup(), 5)


@contextlib.asynccontextmanager
async def recording(answer: Callable[[web.Request], web.Response] | None = None
                    ) -> AsyncIterator[tuple[str, list[tuple[str, str]]]]:
    """A server answering every method and path (``answer``, or ``{}``), and the (method, path) of each request
    it got: what a test that something was never sent looks at."""
    seen: list[tuple[str, str]] = []

    async def anything(request: web.Request) -> web.Response:
        seen.append((request.method, request.raw_path.split("?")[0]))
        return answer(request) if answer is not None else web.json_response({})

    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", anything)
    async with served(app) as base:
        yield base, seen
