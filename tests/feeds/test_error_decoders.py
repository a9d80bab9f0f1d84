"""Issue 11: ``request_json`` took only HTTP >= 400 for an error and read ``code`` only as an int, so Bybit
v5's ``retCode`` and OKX v5's string ``code``, both answered with HTTP 200, passed as success. Each exchange
now supplies its ErrorDecoder; here a small server on 127.0.0.1 answers HTTP 200 with each exchange's
envelope (numbers as strings where the exchange sends them so) and the errors must raise, typed, naming
the exchange's code and message, redacted; a success must pass whole."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from liqwatch.clock import FakeClock
from liqwatch.feeds.binance_errors import BINANCE_ERRORS
from liqwatch.feeds.bybit_errors import BYBIT_ERRORS, BybitErrors
from liqwatch.feeds.okx_errors import OKX_ERRORS
from liqwatch.feeds.rest import (
    ApiError,
    AuthError,
    ClockRejected,
    ErrorDecoder,
    Maintenance,
    RateLimited,
    ReadOnlyGuard,
    RestError,
    RestGate,
    ServerError,
    request_json,
)
from liqwatch.redact import register_secret
from tests.local_http import served

PATH = "/v5/position/list"
GUARD = ReadOnlyGuard("test", frozenset({("GET", PATH)}))
LEAKED = "sekretKEYvalue-0123456789"  # a registered secret the exchange echoes back in its message


class Envelope:
    """Answers every GET with the body, status and headers it is set to."""

    def __init__(self) -> None:
        self.body: Any = {}
        self.status = 200
        self.headers: dict[str, str] = {}
        self.url = ""

    async def handle(self, request: web.Request) -> web.Response:
        return web.json_response(self.body, status=self.status, headers=self.headers)

    @contextlib.asynccontextmanager
    async def serving(self) -> AsyncIterator[Envelope]:
        app = web.Application()
        app.router.add_get(PATH, self.handle)
        async with served(app) as base:
            self.url = base + PATH
            yield self


async def answer(body: Any, errors: ErrorDecoder, *, status: int = 200, headers: dict[str, str] | None = None,
                 gate: RestGate | None = None) -> Any:
    async with asyncio.timeout(10), Envelope().serving() as server, aiohttp.ClientSession() as s:
        server.body, server.status, server.headers = body, status, headers or {}
        return await request_json(s, "GET", server.url, guard=GUARD, gate=gate or RestGate(), timeout_s=5,
                                  errors=errors)


def bybit(code: int, msg: str) -> dict[str, Any]:
    return {"retCode": code, "retMsg": msg, "result": {}, "retExtInfo": {}, "time": 1672211918471}


def okx(code: str, msg: str, data: list[Any] | None = None) -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": data or []}


BYBIT_SUCCESS = {"retCode": 0, "retMsg": "OK", "result": {"list": [
    {"symbol": "BTCUSDT", "size": "0.5", "avgPrice": "60000.5", "liqPrice": ""}]}, "retExtInfo": {},
    "time": 1672211918471}
OKX_SUCCESS = {"code": "0", "msg": "", "data": [{"instId": "BTC-USDT-SWAP", "pos": "1", "avgPx": "60000.5"}]}


@pytest.mark.parametrize(("body", "errors"), [(BYBIT_SUCCESS, BYBIT_ERRORS), (OKX_SUCCESS, OKX_ERRORS),
                                              ([{"symbol": "BTCUSDT"}], BINANCE_ERRORS)],
                         ids=["bybit", "okx", "binance"])
async def test_a_success_passes_whole(body: Any, errors: ErrorDecoder) -> None:
    assert await answer(body, errors) == body


@pytest.mark.parametrize(("body", "kind", "code"), [
    (bybit(10003, "API key is invalid."), AuthError, "10003"),
    (bybit(10004, "error sign!"), AuthError, "10004"),
    (bybit(10005, "Permission denied for current apikey"), AuthError, "10005"),
    (bybit(10010, "Unmatched IP, please check your API key's bound IP addresses."), AuthError, "10010"),
    (bybit(33004, "Your api key has expired."), AuthError, "33004"),
    (bybit(10002, "invalid request, please check your server timestamp or recv_window param"), ClockRejected,
     "10002"),
    (bybit(10006, "Too many visits!"), RateLimited, "10006"),
    (bybit(10018, "Exceeded the IP Rate Limit."), RateLimited, "10018"),
    (bybit(10016, "Internal server error."), ServerError, "10016"),
    (bybit(110001, "Order does not exist."), ApiError, "110001"),
    ({"retCode": "10003", "retMsg": "API key is invalid."}, AuthError, "10003"),  # as a string: still read
    ({"result": {"list": []}}, ApiError, "None"),  # no retCode: nothing says it is a success
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
async def test_bybit_errors_sent_with_http_200_raise_typed(body: Any, kind: type[RestError], code: str) -> None:
    with pytest.raises(kind) as info:
        await answer(body, BYBIT_ERRORS)
    assert type(info.value) is kind
    text = str(info.value)
    assert f"bybit code {code}" in text and f"{body.get('retMsg')}" in text and "HTTP 200" in text


@pytest.mark.parametrize(("body", "kind", "code"), [
    (okx("50111", "Invalid OK-ACCESS-KEY"), AuthError, "50111"),
    (okx("50113", "Invalid Sign"), AuthError, "50113"),
    (okx("50105", "OK-ACCESS-PASSPHRASE incorrect"), AuthError, "50105"),
    (okx("50110", "Your IP is not in the API key's IP whitelist"), AuthError, "50110"),
    (okx("50102", "Timestamp request expired"), ClockRejected, "50102"),
    (okx("50112", "Invalid OK-ACCESS-TIMESTAMP"), ClockRejected, "50112"),
    (okx("50011", "Too Many Requests"), RateLimited, "50011"),
    (okx("50001", "Service temporarily unavailable, please try again later"), Maintenance, "50001"),
    (okx("50013", "System is busy"), ServerError, "50013"),
    (okx("51001", "Instrument ID does not exist"), ApiError, "51001"),
    # code "1" / "2": the failing item's sCode and sMsg say what failed, and classify it
    (okx("1", "Operation failed", [{"sCode": "50113", "sMsg": "Invalid Sign"}]), AuthError, "50113"),
    (okx("2", "Bulk operation partially succeeded", [{"sCode": "0", "sMsg": ""},
                                                       {"sCode": "51008", "sMsg": "Insufficient balance"}]),
     ApiError, "51008"),
    # code "0" but an item failed: never applied in part
    (okx("0", "", [{"sCode": "0"}, {"sCode": "51001", "sMsg": "Instrument ID does not exist"}]), ApiError,
     "51001"),
    ({"data": []}, ApiError, "None"),
], ids=lambda v: v.__name__ if isinstance(v, type) else None)
async def test_okx_errors_sent_with_http_200_raise_typed(body: Any, kind: type[RestError], code: str) -> None:
    with pytest.raises(kind) as info:
        await answer(body, OKX_ERRORS)
    assert type(info.value) is kind
    assert f"okx code {code}" in str(info.value) and "HTTP 200" in str(info.value)
    if isinstance(info.value, ApiError) and code != "None":
        assert info.value.code == code  # the string OKX sent, not an int


@pytest.mark.parametrize("code", ["50102", "50112"])
async def test_okx_timestamp_codes_sent_with_http_401_are_the_clock_not_the_key(code: str) -> None:
    # As OKX (and the emulator) send them: HTTP 401. Read as an auth failure, they disabled the account.
    with pytest.raises(ClockRejected) as info:
        await answer(okx(code, "Timestamp request expired"), OKX_ERRORS, status=401)
    assert type(info.value) is ClockRejected and info.value.code == code and "HTTP 401" in str(info.value)


async def test_binance_keeps_todays_reading_of_its_errors() -> None:
    with pytest.raises(AuthError, match=r"HTTP 401, binance code -2015: Invalid API-key"):
        await answer({"code": -2015, "msg": "Invalid API-key, IP, or permissions for action"}, BINANCE_ERRORS,
                     status=401)
    with pytest.raises(AuthError, match="binance code -1022"):  # an auth code on a 400
        await answer({"code": -1022, "msg": "Signature for this request is not valid."}, BINANCE_ERRORS, status=400)
    with pytest.raises(ClockRejected) as info:
        await answer({"code": -1021, "msg": "Timestamp for this request is outside of the recvWindow."},
                     BINANCE_ERRORS, status=400)
    assert info.value.code == -1021 and info.value.status == 400
    with pytest.raises(ApiError) as other:
        await answer({"code": -1125, "msg": "This listenKey does not exist."}, BINANCE_ERRORS, status=400)
    assert type(other.value) is ApiError and other.value.code == -1125
    # Binance's errors come with a status >= 400: an HTTP 200 is a success, whatever its body says.
    assert await answer({"code": -1000, "msg": "x"}, BINANCE_ERRORS) == {"code": -1000, "msg": "x"}


@pytest.mark.parametrize(("body", "errors"), [(bybit(10003, f"API key {LEAKED} is invalid."), BYBIT_ERRORS),
                                              (okx("50111", f"Invalid OK-ACCESS-KEY {LEAKED}"), OKX_ERRORS),
                                              ({"code": -2015, "msg": f"bad key {LEAKED}"}, BINANCE_ERRORS)],
                         ids=["bybit", "okx", "binance"])
async def test_an_error_message_is_redacted(body: Any, errors: ErrorDecoder) -> None:
    register_secret(LEAKED)
    with pytest.raises(AuthError) as info:
        await answer(body, errors, status=401 if errors is BINANCE_ERRORS else 200)
    assert LEAKED not in str(info.value) and "***" in str(info.value)


async def test_bybit_per_uid_limit_waits_for_its_reset_time_and_does_not_pause_the_endpoint() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    reset_ms = int(clock.now().timestamp() * 1000) + 2500
    gate = RestGate(clock=clock)
    with pytest.raises(RateLimited) as info:
        await answer(bybit(10006, "Too many visits!"), BybitErrors(clock),
                     headers={"X-Bapi-Limit-Reset-Timestamp": str(reset_ms)}, gate=gate)
    assert info.value.retry_after_s == pytest.approx(2.5)
    assert gate.remaining() == 0  # one key's limit: the other accounts of the endpoint go on


async def test_an_ip_wide_limit_or_maintenance_in_an_envelope_blocks_the_endpoint_gate() -> None:
    clock = FakeClock()
    gate = RestGate(clock=clock)
    with pytest.raises(RateLimited):
        await answer(bybit(10018, "Exceeded the IP Rate Limit."), BYBIT_ERRORS, gate=gate)
    assert gate.remaining() > 0
    clock.advance(gate.remaining())
    assert gate.paused("next") is None
    with pytest.raises(Maintenance) as info:
        await answer(okx("50001", "Service temporarily unavailable"), OKX_ERRORS, gate=gate)
    assert info.value.retry_after_s == gate.maintenance_retry_s  # at least the gate's maintenance wait
    assert gate.maintenance and gate.remaining() == pytest.approx(gate.maintenance_retry_s)
    assert isinstance(gate.paused("next"), Maintenance)


async def test_bybit_http_403_is_its_ip_ban_of_ten_minutes() -> None:
    gate = RestGate(clock=FakeClock())
    with pytest.raises(RateLimited) as info:
        await answer(bybit(10018, "access too frequent"), BYBIT_ERRORS, status=403, gate=gate)
    assert info.value.retry_after_s == 600 and gate.remaining() == pytest.approx(600)
    assert info.value.banned and gate.ban_in_force()  # a ban: every account of the endpoint, its own alert


async def test_bybit_http_403_with_a_retry_after_is_banned_that_long() -> None:
    gate = RestGate(clock=FakeClock())
    with pytest.raises(RateLimited) as info:
        await answer(bybit(10018, "access too frequent"), BYBIT_ERRORS, status=403, headers={"Retry-After": "2"},
                     gate=gate)
    assert info.value.retry_after_s == 2 and gate.remaining() == pytest.approx(2)
    assert info.value.banned and gate.ban_in_force()
