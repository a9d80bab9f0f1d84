"""Issue 10: REST bodies had no size limit (a 64 MB body took the process to 311 MB, fetched again on every
retry). A body past ``max_body_bytes`` is refused with an error naming the endpoint and the size: at once
when its Content-Length says so, else as soon as the stream passes the cap; memory stays bounded."""

from __future__ import annotations

import asyncio
import contextlib
import tracemalloc
from collections.abc import AsyncIterator

import aiohttp
import pytest
from aiohttp import web
from pydantic import ValidationError

from liqwatch.config.settings import FeedSettings, Settings
from liqwatch.feeds.binance_client import READ_ONLY
from liqwatch.feeds.from_config import feed_options
from liqwatch.feeds.rest import RestError, RestGate, request_json
from tests.feeds.harness import FAST, eventually
from tests.review.rest_relay import rewritten

MB = 1024 * 1024
DEFAULT_CAP = 8 * MB  # FeedOptions.max_body_bytes, as the README documents it
HUGE = 64 * MB
CHUNK = b" " * (256 * 1024)  # whitespace: valid JSON padding, so a reader that takes it all would accept it


class HugeServer:
    """Answers every request with a 64 MB JSON body, streamed in chunks (so the server holds 256 KB, not 64 MB),
    with or without a Content-Length; counts what it managed to write before the client hung up."""

    def __init__(self, declare_length: bool) -> None:
        self.declare_length = declare_length
        self.written = 0
        self.port = 0

    async def handle(self, request: web.Request) -> web.StreamResponse:
        resp = web.StreamResponse(headers={"Content-Type": "application/json"})
        if self.declare_length:
            resp.content_length = HUGE
        await resp.prepare(request)
        with contextlib.suppress(ConnectionError, aiohttp.ClientConnectionResetError):
            await resp.write(b"[")
            while self.written < HUGE - len(CHUNK):
                await resp.write(CHUNK)
                self.written += len(CHUNK)
            await resp.write(b" " * (HUGE - self.written - 2) + b"]")
            self.written = HUGE
        return resp

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[HugeServer]:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        try:
            yield self
        finally:
            await runner.cleanup()


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "streamed"])
async def test_a_64_mb_body_is_refused_at_the_cap_naming_the_endpoint_and_memory_stays_bounded(
        declare_length: bool) -> None:
    async with asyncio.timeout(60), HugeServer(declare_length).serving() as server, aiohttp.ClientSession() as s:
        gate = RestGate()  # the documented default cap, 8 MB
        url = f"http://127.0.0.1:{server.port}/fapi/v2/positionRisk?timestamp=1&signature=abcdef0123456789"
        tracemalloc.start()
        try:
            with pytest.raises(RestError) as info:
                await request_json(s, "GET", url, gate=gate, guard=READ_ONLY, timeout_s=20)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        text = str(info.value)
        assert "GET http://127.0.0.1" in text and "/fapi/v2/positionRisk" in text
        assert f"{DEFAULT_CAP:,}-byte limit" in text and "signature" not in text
        if declare_length:
            assert f"{HUGE:,} bytes (Content-Length)" in text
        # Measured: 0.5 MB with a Content-Length (refused unread), 9.3 MB streamed (the cap, plus a chunk).
        limit = 1 * MB if declare_length else DEFAULT_CAP + 2 * MB
        assert peak < limit, f"peak {peak:,} bytes while refusing a {HUGE:,}-byte body"
        await asyncio.sleep(0.2)  # let the server notice the hang-up (it only counts, nothing waits on it)
        assert server.written < DEFAULT_CAP + 8 * MB  # the read stopped: the rest was never fetched


def padded(size: int) -> bytes:
    return b"[" + b" " * size + b"]"


@pytest.mark.slow(4)
async def test_an_oversized_answer_is_a_failure_with_backoff_not_a_tight_retry() -> None:
    big = {"on": False}
    body = padded(DEFAULT_CAP + MB)  # an empty list, 9 MB long

    def rewrite(path: str, data: bytes) -> bytes:
        return body if big["on"] and path == "/fapi/v2/positionRisk" else data

    async with rewritten(("binance-main",), rewrite, options=FAST) as env:
        assert await env.monitor.wait_live(15)
        adapter = next(a for a in env.monitor.adapters if a.account.name == "binance-main")
        failures = adapter.reconcile_failures
        big["on"] = True
        hit = len(env.emu.requests)
        await eventually(lambda: adapter.reconcile_failures > failures, 10, "the oversized answer to fail")
        error = adapter.last_error or ""
        assert "/fapi/v2/positionRisk" in error and f"{DEFAULT_CAP:,}-byte limit" in error, error
        await asyncio.sleep(3.0)  # counts the tries in 3 s (waits on purpose)
        tries = [r for r in list(env.emu.requests)[hit:] if r[1] == "/fapi/v2/positionRisk"]
        # One reconciliation a second at most, each failure adding a backoff; never a loop of re-fetches.
        assert 1 <= len(tries) <= 5, tries
        # Never applied: the account keeps its positions (an empty list taken whole would have closed them).
        assert env.monitor.store.snapshot().account("binance-main").positions


def test_the_cap_is_a_feeds_option_with_a_checked_range() -> None:
    assert feed_options(Settings()).max_body_bytes == DEFAULT_CAP
    assert feed_options(Settings(feeds=FeedSettings(max_body_bytes=2 * MB))).max_body_bytes == 2 * MB
    with pytest.raises(ValidationError, match="max_body_bytes"):
        FeedSettings(max_body_bytes=1024)  # a cap below any real answer would blind every account
