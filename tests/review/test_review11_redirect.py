"""Review of issue 11's REST path (``request_json``, which every adapter's call goes through): the read-only
allowlist is checked on the URL asked for, but aiohttp follows redirects by default. An endpoint (or anything in
front of it) answering 307 sends the same method, body and key headers to a path, or a host, never checked.
Two servers on 127.0.0.1: the "exchange" redirects, the second records what reaches it."""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp
from aiohttp import web

from liqwatch.feeds.binance_errors import BINANCE_ERRORS
from liqwatch.feeds.rest import ReadOnlyGuard, RestError, RestGate, request_json
from tests.local_http import served

LISTEN_KEY = "/fapi/v1/listenKey"
GUARD = ReadOnlyGuard("binance", frozenset({("POST", LISTEN_KEY)}))
KEY = "review1-redirect-key-0001"


async def test_a_redirect_never_sends_a_request_off_the_allowlist() -> None:
    reached: list[tuple[str, str, str | None]] = []

    async def order(request: web.Request) -> web.Response:
        reached.append((request.method, request.path, request.headers.get("X-MBX-APIKEY")))
        return web.json_response({"orderId": 1})

    other = web.Application()
    other.router.add_route("*", "/fapi/v1/order", order)
    async with asyncio.timeout(10), served(other) as elsewhere:
        async def redirect(request: web.Request) -> web.Response:
            raise web.HTTPTemporaryRedirect(f"{elsewhere}/fapi/v1/order")

        exchange = web.Application()
        exchange.router.add_post(LISTEN_KEY, redirect)
        async with served(exchange) as base, aiohttp.ClientSession() as s:
            with contextlib.suppress(RestError):
                await request_json(s, "POST", f"{base}{LISTEN_KEY}", guard=GUARD, gate=RestGate(), timeout_s=5,
                                   headers={"X-MBX-APIKEY": KEY}, errors=BINANCE_ERRORS)
    assert reached == []  # nothing, and no key, reached a (method, path) off the allowlist
