"""Review of issue 11's error decoders as a hostile exchange (or a proxy in front of one) would test them: a
small server on 127.0.0.1 answers each request with the exact status, headers and body bytes set, and the
answer goes through ``request_json`` with the exchange's decoder, as an adapter's call would."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web

from liqwatch.clock import FakeClock
from liqwatch.feeds.binance_errors import BINANCE_ERRORS
from liqwatch.feeds.bybit_errors import BybitErrors
from liqwatch.feeds.okx_errors import OKX_ERRORS
from liqwatch.feeds.rest import (
    ClockRejected,
    ErrorDecoder,
    RateLimited,
    ReadOnlyGuard,
    RestError,
    RestGate,
    request_json,
)
from tests.local_http import served

PATH = "/v5/position/list"
GUARD = ReadOnlyGuard("test", frozenset({("GET", PATH)}))
NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Raw:
    """Answers every GET with exactly the status, headers and body bytes it is set to."""

    def __init__(self, body: bytes, status: int, headers: dict[str, str]) -> None:
        self.body, self.status, self.headers = body, status, headers
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        return web.Response(body=self.body, status=self.status, headers=self.headers)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[Raw]:
        app = web.Application()
        app.router.add_get(PATH, self.handle)
        async with served(app) as base:
            self.url = base + PATH
            yield self


async def answer(body: Any, errors: ErrorDecoder, *, status: int = 200, headers: dict[str, str] | None = None,
                 gate: RestGate | None = None) -> Any:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    hdrs = {"Content-Type": "application/json", **(headers or {})}
    async with asyncio.timeout(10), Raw(raw, status, hdrs).serving() as server, aiohttp.ClientSession() as s:
        return await request_json(s, "GET", server.url, guard=GUARD, gate=gate or RestGate(), timeout_s=5,
                                  errors=errors)


@pytest.mark.parametrize("code", ["²", "1000³"])
async def test_a_bybit_retcode_of_unicode_digits_is_a_rest_error_not_a_crash(code: str) -> None:
    """The decoder's contract: it never raises itself. A ValueError is no RestError: every adapter's
    ``except RestError`` misses it and the stream or the snapshot task dies on a hostile envelope."""
    with pytest.raises(RestError):
        await answer({"retCode": code, "retMsg": "x", "result": {}}, BybitErrors(FakeClock(NOW)))


async def test_bybit_403_html_page_is_its_ip_block() -> None:
    """Bybit documents HTTP 403 as its IP block ("access too frequent", wait at least 10 minutes). The block is
    served by its gateway as an HTML page; the decoder's own 403 rule is only reached for a JSON body."""
    gate = RestGate(clock=FakeClock(NOW))
    html = b"<html><head><title>403 Forbidden</title></head><body>access too frequent</body></html>"
    with pytest.raises(RateLimited) as info:
        await answer(html, BybitErrors(FakeClock(NOW)), status=403, headers={"Content-Type": "text/html"},
                     gate=gate)
    assert info.value.retry_after_s >= 600 and gate.remaining() >= 600
    assert info.value.banned and gate.ban_in_force()


async def test_bybit_ip_limit_with_a_reset_in_the_past_still_pauses_the_endpoint() -> None:
    """The reset time is Bybit's clock; ours may run ahead of it. A computed wait <= 0 is no wait the exchange
    gave: taking it as 0 sends the next request (every account of the IP) at once into the same limit."""
    clock = FakeClock(NOW)
    gate = RestGate(clock=clock)
    past_ms = int(NOW.timestamp() * 1000) - 3000
    with pytest.raises(RateLimited) as info:
        await answer({"retCode": 10018, "retMsg": "Exceeded the IP Rate Limit.", "result": {}},
                     BybitErrors(clock), headers={"X-Bapi-Limit-Reset-Timestamp": str(past_ms)}, gate=gate)
    assert info.value.retry_after_s > 0
    assert gate.remaining() > 0


async def test_okx_rate_limit_with_a_negative_retry_after_waits_its_window() -> None:
    gate = RestGate(clock=FakeClock(NOW))
    with pytest.raises(RateLimited) as info:
        await answer({"code": "50011", "msg": "Rate limit reached.", "data": []}, OKX_ERRORS,
                     headers={"Retry-After": "-30"}, gate=gate)
    assert info.value.retry_after_s > 0 and gate.remaining() > 0


async def test_okx_failed_item_in_a_data_object_is_an_error() -> None:
    """The decoder's contract: never a success for a body it cannot read as one."""
    with pytest.raises(RestError):
        await answer({"code": "0", "msg": "", "data": {"sCode": "51000", "sMsg": "Parameter error"}}, OKX_ERRORS)


async def test_binance_timestamp_code_as_a_string_is_still_a_clock_rejection() -> None:
    with pytest.raises(ClockRejected):
        await answer({"code": "-1021", "msg": "Timestamp for this request is outside of the recvWindow."},
                     BINANCE_ERRORS, status=400)


@pytest.mark.parametrize("which", ["bybit", "okx", "binance"])
async def test_a_huge_exchange_message_is_bounded(which: str) -> None:
    huge = "A" * 1_000_000
    body, errors, status = {
        "bybit": ({"retCode": 10001, "retMsg": huge, "result": {}}, BybitErrors(FakeClock(NOW)), 200),
        "okx": ({"code": "51000", "msg": huge, "data": []}, OKX_ERRORS, 200),
        "binance": ({"code": -1102, "msg": huge}, BINANCE_ERRORS, 400),
    }[which]
    with pytest.raises(RestError) as info:
        await answer(body, errors, status=status)
    size = len(str(info.value))
    assert size < 10_000, size


async def test_okx_rate_limit_sent_with_http_429_waits_okx_window_not_a_minute() -> None:
    """OKX's v5 error table gives 50011 "Rate limit reached" HTTP status 429, counted per 2 s window, with no
    Retry-After. A minute of no REST for every account of the endpoint is a minute blind after each burst."""
    gate = RestGate(clock=FakeClock(NOW))
    with pytest.raises(RateLimited) as info:
        await answer({"code": "50011", "msg": "Rate limit reached. Please refer to API documentation.",
                      "data": []}, OKX_ERRORS, status=429, gate=gate)
    assert info.value.retry_after_s <= 2.0 and gate.remaining() <= 2.0


@pytest.mark.parametrize("value", ["-30", "-1e9"])
async def test_a_negative_retry_after_on_a_429_is_no_license_to_retry_at_once(value: str) -> None:
    """Binance: "repeatedly violating rate limits and/or failing to back off after receiving 429s will result
    in an automated IP ban". A Retry-After below zero says no wait; the 60 s default for a 429 must hold."""
    gate = RestGate(clock=FakeClock(NOW))
    with pytest.raises(RateLimited) as info:
        await answer({"code": -1003, "msg": "Too many requests."}, BINANCE_ERRORS, status=429,
                     headers={"Retry-After": value}, gate=gate)
    assert info.value.retry_after_s > 0 and gate.remaining() > 0
