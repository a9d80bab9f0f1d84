"""Bybit v5's envelope and authentication as the exchange answers them.

Every answer is HTTP 200 with ``{"retCode", "retMsg", "result", "retExtInfo", "time"}``, errors included
(retCode != 0). Private REST calls carry ``X-BAPI-API-KEY``, ``X-BAPI-TIMESTAMP`` (ms), ``X-BAPI-RECV-WINDOW``
and ``X-BAPI-SIGN`` = hex HMAC-SHA256(secret, timestamp + key + recvWindow + query string or body); the
private websocket authenticates with ``{"op": "auth", "args": [key, expires, hex HMAC("GET/realtime" + expires)]}``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from liqwatch.emulator.bybit_account import BybitAccount

DEFAULT_RECV_WINDOW_MS = 5000
FUTURE_TOLERANCE_MS = 1000

#: The codes the emulator answers with (bybit-exchange.github.io/docs/v5/error).
PARAMS_ERROR = 10001
TIMESTAMP_ERROR = 10002
INVALID_KEY = 10003
SIGN_ERROR = 10004
PERMISSION_DENIED = 10005


class BybitError(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


def envelope(result: Any, now_ms: int, code: int = 0, msg: str = "OK") -> web.Response:
    """Bybit's envelope, always with HTTP 200 (its errors too)."""
    return web.json_response(
        {"retCode": code, "retMsg": msg, "result": result if result is not None else {}, "retExtInfo": {},
         "time": now_ms}
    )


def _sign(secret: str, payload: str) -> str:
    return hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()


def verify_rest(request: web.Request, body: str, by_key: dict[str, BybitAccount], now_ms: int) -> BybitAccount:
    headers = request.headers
    key = headers.get("X-BAPI-API-KEY", "")
    account = by_key.get(key)
    if account is None:
        raise BybitError(INVALID_KEY, "API key is invalid.")
    ts_text = headers.get("X-BAPI-TIMESTAMP", "")
    window_text = headers.get("X-BAPI-RECV-WINDOW", str(DEFAULT_RECV_WINDOW_MS))
    if not ts_text.isdigit() or not window_text.isdigit():
        raise BybitError(TIMESTAMP_ERROR, "invalid request, please check your server timestamp or recv_window param")
    ts, window = int(ts_text), int(window_text)
    if ts >= now_ms + FUTURE_TOLERANCE_MS or now_ms - ts > window:
        raise BybitError(
            TIMESTAMP_ERROR,
            f"invalid request, please check your server timestamp or recv_window param. req_timestamp[{ts}],"
            f"server_timestamp[{now_ms}],recv_window[{window}]",
        )
    signature = headers.get("X-BAPI-SIGN", "")
    payload = ts_text + key + window_text + (request.rel_url.raw_query_string if request.method == "GET" else body)
    if not signature or not hmac.compare_digest(_sign(account.spec.secret, payload), signature.lower()):
        raise BybitError(SIGN_ERROR, "error sign! origin_string[" + payload.replace(key, "***") + "]")
    return account


def verify_ws_auth(args: Any, by_key: dict[str, BybitAccount], now_ms: int) -> BybitAccount | str:
    """The account a private-socket ``auth`` names, or the retMsg Bybit gives for a refused one."""
    if not isinstance(args, list) or len(args) != 3:
        return "Params Error"
    key, expires, signature = (str(a) for a in args)
    account = by_key.get(key)
    if account is None:
        return "Invalid apikey"
    if not expires.isdigit() or int(expires) < now_ms:
        return "Params Error"  # Bybit refuses an expiry already past
    if not hmac.compare_digest(_sign(account.spec.secret, "GET/realtime" + expires), signature.lower()):
        return "Invalid sign"
    return account


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PrivateHandler = Callable[[web.Request, BybitAccount], Awaitable[Any]]
PublicHandler = Callable[[web.Request], Awaitable[Any]]


def public(handler: PublicHandler, now_ms: Callable[[], int]) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return envelope(await handler(request), now_ms())
        except BybitError as exc:
            return envelope({}, now_ms(), exc.code, exc.msg)

    return wrapped


def private(handler: PrivateHandler, by_key: Callable[[], dict[str, BybitAccount]],
            now_ms: Callable[[], int]) -> Handler:
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            body = await request.text() if request.can_read_body else ""
            account = verify_rest(request, body, by_key(), now_ms())
            return envelope(await handler(request, account), now_ms())
        except BybitError as exc:
            return envelope({}, now_ms(), exc.code, exc.msg)

    return wrapped
