"""REST calls for the adapters: typed errors, Retry-After respected, and a read-only allowlist.

No code path can place, change or cancel an order: ``request_json``, the one function every adapter's REST
call goes through, takes the exchange's ``ReadOnlyGuard`` (a required argument: no caller can leave it out)
and refuses any (method, path) not exactly on its allowlist before anything is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson

from liqwatch.redact import redact


class RestError(Exception):
    """A REST call failed; the message is already redacted."""


class RateLimited(RestError):
    def __init__(self, message: str, retry_after_s: float, banned: bool = False) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.banned = banned


class ServerError(RestError):
    pass


class AuthError(RestError):
    """Wrong key, signature or permissions: retrying will not help."""


class ApiError(RestError):
    def __init__(self, message: str, code: int | None, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class ForbiddenEndpoint(RuntimeError):
    """A request outside the read-only allowlist: a programming error, never sent."""


class ReadOnlyGuard:
    def __init__(self, exchange: str, allowed: frozenset[tuple[str, str]]) -> None:
        self.exchange = exchange
        self.allowed = allowed

    def check(self, method: str, path: str) -> None:
        """Exact match only: a path with a trailing slash, a dot segment, an escape or another case is not
        the listed one, and is refused."""
        if (method.upper(), path) not in self.allowed:
            raise ForbiddenEndpoint(f"{self.exchange}: {method.upper()} {path} is not a read-only endpoint")


class RestGate:
    """Shared by every account of one exchange endpoint: after a 429/418, no REST goes out until Retry-After
    has passed (limits are per IP, not per key)."""

    def __init__(self) -> None:
        self._until = 0.0
        self.reason = ""

    def block(self, seconds: float, reason: str) -> None:
        self._until = max(self._until, time.monotonic() + seconds)
        self.reason = reason

    def remaining(self) -> float:
        return max(0.0, self._until - time.monotonic())


def _retry_after(headers: Mapping[str, str], default: float) -> float:
    value = headers.get("Retry-After")
    try:
        return max(0.0, float(value)) if value is not None else default
    except ValueError:
        return default


async def request_json(
    session: aiohttp.ClientSession,
    method: str,
    url: str,
    *,
    guard: ReadOnlyGuard,
    gate: RestGate,
    timeout_s: float,
    params: Mapping[str, str] | None = None,
    json_body: Any = None,
    headers: Mapping[str, str] | None = None,
    auth_codes: frozenset[int] = frozenset(),
) -> Any:
    guard.check(method, urlsplit(url).path)  # before the gate, the body, anything: a write is never sent
    wait = gate.remaining()
    if wait > 0:
        raise RateLimited(f"REST paused for {wait:.0f} s more ({gate.reason})", wait)
    data = orjson.dumps(json_body) if json_body is not None else None
    hdrs = dict(headers or {})
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    try:
        async with asyncio.timeout(timeout_s):
            async with session.request(method, url, params=params, data=data, headers=hdrs) as resp:
                body = await resp.read()
                status = resp.status
                resp_headers = resp.headers
    except TimeoutError:
        raise ServerError(f"{method} {redact(url)}: no answer within {timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise ServerError(f"{method} {redact(url)}: {redact(str(exc))}") from None
    if status in (418, 429):
        retry = _retry_after(resp_headers, 60.0 if status == 429 else 120.0)
        banned = status == 418
        gate.block(retry, f"HTTP {status}" + (" (IP banned)" if banned else " (rate limited)"))
        raise RateLimited(f"{method} {redact(url)}: HTTP {status}, retry after {retry:g} s", retry, banned)
    if status >= 500:
        raise ServerError(f"{method} {redact(url)}: HTTP {status}")
    try:
        payload = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        raise ServerError(f"{method} {redact(url)}: HTTP {status} with a body that is not JSON") from None
    if status >= 400:
        code = payload.get("code") if isinstance(payload, dict) else None
        msg = payload.get("msg") if isinstance(payload, dict) else None
        text = f"{method} {redact(url)}: HTTP {status} code {code}: {redact(str(msg))}"
        if status in (401, 403) or (isinstance(code, int) and code in auth_codes):
            raise AuthError(text)
        raise ApiError(text, code if isinstance(code, int) else None, status)
    return payload
