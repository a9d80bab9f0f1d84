"""A 3xx is never followed (review 11): ``request_json`` raises an error naming where it pointed, without the
query (it may echo a signature). That nothing reaches the target is tests/review/test_review11_redirect.py."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web

from liqwatch.feeds.rest import ApiError, ReadOnlyGuard, RestGate, request_json
from tests.local_http import served

PATH = "/fapi/v2/account"
GUARD = ReadOnlyGuard("binance", frozenset({("GET", PATH)}))


@contextlib.asynccontextmanager
async def redirecting(status: int, location: str) -> AsyncIterator[str]:
    async def handle(request: web.Request) -> web.Response:
        return web.Response(status=status, headers={"Location": location})

    app = web.Application()
    app.router.add_get(PATH, handle)
    async with served(app) as url:
        yield url


@pytest.mark.parametrize("status", [301, 302, 307, 308])
async def test_a_redirect_is_an_error_naming_its_location_without_the_query(status: int) -> None:
    # Port 9 of this host, where nothing listens: were the redirect followed, nothing would leave the machine.
    target = "http://127.0.0.1:9/fapi/v1/order?signature=" + "ab" * 32
    async with asyncio.timeout(10), redirecting(status, target) as base, aiohttp.ClientSession() as s:
        with pytest.raises(ApiError) as info:
            await request_json(s, "GET", base + PATH, guard=GUARD, gate=RestGate(), timeout_s=5)
    text = str(info.value)
    assert info.value.status == status and f"HTTP {status} redirect to http://127.0.0.1:9/fapi/v1/order" in text
    assert "signature" not in text and "ab" * 32 not in text
