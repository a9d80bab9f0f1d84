"""OKX v5's envelope and request authentication, as the exchange answers them.

Every answer is ``{"code": str, "msg": str, "data": [...]}``; errors come with HTTP 200 except the
authentication ones, which OKX sends with HTTP 401. A private request carries OK-ACCESS-KEY, OK-ACCESS-SIGN
(base64 HMAC-SHA256 of timestamp + method + request path with its query + body), OK-ACCESS-TIMESTAMP (ISO
8601 with milliseconds, within 30 s of the server clock) and OK-ACCESS-PASSPHRASE.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
from aiohttp import web

from liqwatch.emulator.okx_account import OkxAccount

#: OKX rejects a request whose timestamp is more than 30 s away from its clock (50102).
WINDOW_MS = 30_000


def dumps(obj: object) -> str:
    return orjson.dumps(obj).decode()


def ok(data: list[Any]) -> web.Response:
    return web.Response(text=dumps({"code": "0", "msg": "", "data": data}), content_type="application/json")


def fail(code: str, msg: str, status: int = 200) -> web.Response:
    return web.Response(text=dumps({"code": code, "msg": msg, "data": []}), status=status,
                        content_type="application/json")


def sign(secret: str, prehash: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), prehash.encode(), hashlib.sha256).digest()).decode()


def _parse_ts(text: str) -> int | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return round(moment.timestamp() * 1000)


async def authenticate(
    request: web.Request, accounts: dict[str, OkxAccount], now_ms: Callable[[], int]
) -> OkxAccount | web.Response:
    """The account a private request is signed for, or OKX's 401 answer."""
    headers = request.headers
    key = headers.get("OK-ACCESS-KEY", "")
    signature = headers.get("OK-ACCESS-SIGN", "")
    stamp = headers.get("OK-ACCESS-TIMESTAMP", "")
    passphrase = headers.get("OK-ACCESS-PASSPHRASE", "")
    if not key:
        return fail("50103", "Request header OK-ACCESS-KEY cannot be empty.", 401)
    if not passphrase:
        return fail("50104", "Request header OK-ACCESS-PASSPHRASE cannot be empty.", 401)
    if not signature:
        return fail("50106", "Request header OK-ACCESS-SIGN cannot be empty.", 401)
    if not stamp:
        return fail("50107", "Request header OK-ACCESS-TIMESTAMP cannot be empty.", 401)
    when = _parse_ts(stamp)
    if when is None:
        return fail("50112", "Invalid OK-ACCESS-TIMESTAMP.", 401)
    if abs(now_ms() - when) > WINDOW_MS:
        return fail("50102", "Timestamp request expired.", 401)
    account = accounts.get(key)
    if account is None:
        return fail("50111", "Invalid OK-ACCESS-KEY.", 401)
    if not hmac.compare_digest(passphrase, account.spec.passphrase):
        return fail("50105", "Request header OK-ACCESS-PASSPHRASE incorrect.", 401)
    body = (await request.read()).decode("utf-8", "replace") if request.method != "GET" else ""
    expected = sign(account.spec.secret, stamp + request.method + request.raw_path + body)
    if not hmac.compare_digest(signature, expected):
        return fail("50113", "Invalid Sign.", 401)
    return account
