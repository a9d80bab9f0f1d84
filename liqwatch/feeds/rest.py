"""REST calls for the adapters: typed errors, Retry-After respected, and a read-only allowlist.

No code path can place, change or cancel an order: ``request_json``, the one function every adapter's REST
call goes through, takes the exchange's ``ReadOnlyGuard`` (a required argument: no caller can leave it out)
and refuses any (method, path) not exactly on its allowlist before anything is sent.
"""

from __future__ import annotations

import asyncio
import math
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


class Maintenance(RateLimited):
    """HTTP 503: the exchange is unavailable (maintenance, or overloaded). Every account on the endpoint waits
    ``retry_after_s`` (at least ``RestGate.maintenance_retry_s``) before the next try, as for a rate limit."""


class ResponseTooLarge(RestError):
    """A body over ``RestGate.max_body_bytes``: refused before (Content-Length) or while reading it."""


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


#: Far above any answer of the endpoints we read (pages of candles and market lists are the largest): a
#: body past it is a fault, and reading it whole would hold it in memory on every retry.
DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024
#: HTTP 503 (maintenance): the least wait before the next try, whatever a shorter Retry-After says.
DEFAULT_MAINTENANCE_RETRY_S = 30.0
_CHUNK = 64 * 1024


class RestGate:
    """Shared by every account of one exchange endpoint: after a 429/418, no REST goes out until Retry-After
    has passed (limits are per IP, not per key); after a 503 none until ``maintenance_retry_s``, and the
    endpoint counts as under maintenance until it answers something else."""

    def __init__(self, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 maintenance_retry_s: float = DEFAULT_MAINTENANCE_RETRY_S) -> None:
        self._until = 0.0
        self.reason = ""
        self.banned = False  # the block in force is an IP ban (HTTP 418)
        self.maintenance = False  # last answer was a 503; cleared by any other answer
        self.blocks = 0  # how many blocks so far: tells a reader a new one from the one it has seen
        self.max_body_bytes = max_body_bytes
        self.maintenance_retry_s = maintenance_retry_s

    def block(self, seconds: float, reason: str, *, banned: bool = False) -> None:
        self._until = max(self._until, time.monotonic() + seconds)
        self.reason = reason
        self.banned = banned or (self.banned and self.remaining() > 0)
        self.blocks += 1

    def remaining(self) -> float:
        return max(0.0, self._until - time.monotonic())

    def ban_in_force(self) -> bool:
        return self.banned and self.remaining() > 0

    def paused(self, what: str) -> RateLimited | None:
        """The error for a request that may not go out now, or None."""
        wait = self.remaining()
        if wait <= 0:
            return None
        text = f"{what}: REST paused for {wait:.0f} s more ({self.reason})"
        if self.maintenance and not self.banned:
            return Maintenance(text, wait)
        return RateLimited(text, wait, self.ban_in_force())


async def read_capped(resp: aiohttp.ClientResponse, limit: int, what: str) -> bytes:
    """The body, refused past ``limit`` bytes: at once when Content-Length says so, else as soon as the
    stream (decompressed, so a small gzip bomb counts at its real size) passes it; the rest is never read."""
    length = resp.content_length
    if length is not None and length > limit:
        raise ResponseTooLarge(f"{what}: response of {length:,} bytes (Content-Length) is over the "
                               f"{limit:,}-byte limit; not read")
    buf = bytearray()
    async for chunk in resp.content.iter_chunked(_CHUNK):
        buf += chunk
        if len(buf) > limit:
            raise ResponseTooLarge(f"{what}: response over the {limit:,}-byte limit; stopped reading at "
                                   f"{len(buf):,} bytes")
    return bytes(buf)


#: The longest wait any Retry-After is taken for: Binance's IP bans last "from 2 minutes to 3 days". A longer
#: one (1e12, a typo, a hostile proxy) would pause every account of the endpoint for good.
MAX_RETRY_AFTER_S = 3 * 86400.0


def _retry_after(headers: Mapping[str, str], default: float) -> float:
    """Retry-After in seconds, within [0, MAX_RETRY_AFTER_S]; ``default`` when absent, not a number, or not
    finite (inf, NaN: no wait can be read from it)."""
    value = headers.get("Retry-After")
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        return default
    if not math.isfinite(seconds):
        return default
    return min(max(0.0, seconds), MAX_RETRY_AFTER_S)


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
    endpoint = f"{method} {redact(url.split('?', 1)[0])}"  # no query: it may hold a signature
    where = f"{method} {redact(url)}"
    paused = gate.paused(endpoint)
    if paused is not None:
        raise paused
    data = orjson.dumps(json_body) if json_body is not None else None
    hdrs = dict(headers or {})
    if data is not None:
        hdrs["Content-Type"] = "application/json"
    try:
        async with asyncio.timeout(timeout_s):
            async with session.request(method, url, params=params, data=data, headers=hdrs) as resp:
                status = resp.status
                resp_headers = resp.headers
                body = await read_capped(resp, gate.max_body_bytes, endpoint)
    except TimeoutError:
        raise ServerError(f"{where}: no answer within {timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise ServerError(f"{where}: {redact(str(exc))}") from None
    if status in (418, 429):
        retry = _retry_after(resp_headers, 60.0 if status == 429 else 120.0)
        banned = status == 418
        gate.block(retry, f"HTTP {status}" + (" (IP banned)" if banned else " (rate limited)"), banned=banned)
        raise RateLimited(f"{where}: HTTP {status}, retry after {retry:g} s", retry, banned)
    if status == 503:
        retry = max(gate.maintenance_retry_s, _retry_after(resp_headers, 0.0))
        gate.maintenance = True
        gate.block(retry, "HTTP 503")
        raise Maintenance(f"{where}: HTTP 503 (exchange unavailable), next try in {retry:g} s",
                          retry)
    gate.maintenance = False  # it answered: whatever the answer, it is not down
    if status >= 500:
        raise ServerError(f"{where}: HTTP {status}")
    try:
        payload = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        # The status first: a 401 is the key refused whatever the body (a gateway's HTML page); a ServerError
        # would be retried for ever and a revoked key never disable the account. Not a 403 without JSON:
        # Binance documents its 403 as its web application firewall's block (a rate limit or a security
        # rule), an HTML page that says nothing of the key, and which passes: retried, never disabling.
        if status == 401:
            raise AuthError(f"{where}: HTTP 401 (key refused; the body is not JSON)") from None
        if status == 403:
            raise ServerError(f"{where}: HTTP 403 with a body that is not JSON (the exchange's "
                              "firewall blocked the request: a rate or security rule); retried") from None
        raise ServerError(f"{where}: HTTP {status} with a body that is not JSON") from None
    if status >= 400:
        code = payload.get("code") if isinstance(payload, dict) else None
        msg = payload.get("msg") if isinstance(payload, dict) else None
        # Redacted whole: every field the exchange echoes (code as well as msg) may carry what it was sent.
        text = redact(f"{method} {url}: HTTP {status} code {code}: {msg}")
        if status in (401, 403) or (isinstance(code, int) and code in auth_codes):
            raise AuthError(text)
        raise ApiError(text, code if isinstance(code, int) else None, status)
    return payload
