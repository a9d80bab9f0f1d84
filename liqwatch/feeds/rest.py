"""REST calls for the adapters: typed errors, Retry-After respected, and a read-only allowlist.

No code path can place, change or cancel an order: ``request_json``, the one function every adapter's REST
call goes through, takes the exchange's ``ReadOnlyGuard`` (a required argument: no caller can leave it out)
and refuses any (method, path) not exactly on its allowlist before anything is sent. What HTTP says alone
(timeouts, 418/429, 503, 5xx, a body that is not JSON) is read here; an exchange's own refusal is read by its
``ErrorDecoder`` (liqwatch.feeds.rest_errors; Binance's, Bybit v5's and OKX v5's beside it), which
``request_json`` takes as ``errors=``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import orjson
import yarl

from liqwatch.clock import Clock, SystemClock
from liqwatch.feeds.rest_errors import (
    MAX_RETRY_AFTER_S,
    ApiError,
    AuthError,
    ClockRejected,
    ErrorDecoder,
    HttpStatusErrors,
    Maintenance,
    RateLimited,
    ResponseTooLarge,
    RestError,
    ServerError,
    redirect_refused_text,
)
from liqwatch.feeds.rest_errors import retry_after as _retry_after
from liqwatch.redact import redact

__all__ = [
    "MAX_RETRY_AFTER_S", "ApiError", "AuthError", "ClockRejected", "ErrorDecoder", "ForbiddenEndpoint",
    "HttpStatusErrors", "Maintenance", "RateLimited", "ReadOnlyGuard", "ResponseTooLarge", "RestError",
    "RestGate", "RestGates", "ServerError", "read_capped", "request_json",
]


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
                 maintenance_retry_s: float = DEFAULT_MAINTENANCE_RETRY_S, *, clock: Clock | None = None) -> None:
        # The injected clock's monotonic time (the adapter's), so a test moves a block's end with it.
        self.clock: Clock = clock or SystemClock()
        self._until = 0.0
        self.reason = ""
        self.banned = False  # the block in force is an IP ban (HTTP 418)
        self.maintenance = False  # last answer was a 503; cleared by any other answer
        self.blocks = 0  # how many blocks so far: tells a reader a new one from the one it has seen
        self.max_body_bytes = max_body_bytes
        self.maintenance_retry_s = maintenance_retry_s

    def block(self, seconds: float, reason: str, *, banned: bool = False) -> None:
        self._until = max(self._until, self.clock.monotonic() + seconds)
        self.reason = reason
        self.banned = banned or (self.banned and self.remaining() > 0)
        self.blocks += 1

    def remaining(self) -> float:
        return max(0.0, self._until - self.clock.monotonic())

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


class RestGates:
    """The REST gates of one ``Monitor``: one per (exchange, endpoint base URL), shared by every account on it
    (a ban or a rate limit is per IP and endpoint), each on the Monitor's clock and with its limits. Owned by
    the Monitor, never by the process: a second Monitor (a test, a restart in the same process) gets gates of
    its own, on its own clock and settings."""

    def __init__(self, clock: Clock | None = None, *, max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
                 maintenance_retry_s: float = DEFAULT_MAINTENANCE_RETRY_S) -> None:
        self.clock: Clock = clock or SystemClock()
        self.max_body_bytes = max_body_bytes
        self.maintenance_retry_s = maintenance_retry_s
        self._gates: dict[tuple[str, str], RestGate] = {}

    def gate(self, exchange: str, rest_url: str) -> RestGate:
        key = (exchange, rest_url)
        gate = self._gates.get(key)
        if gate is None:
            gate = self._gates[key] = RestGate(self.max_body_bytes, self.maintenance_retry_s, clock=self.clock)
        return gate


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


#: What ``request_json`` decodes with when the caller names no exchange decoder: errors by HTTP status.
HTTP_STATUS_ERRORS = HttpStatusErrors()


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
    errors: ErrorDecoder = HTTP_STATUS_ERRORS,
) -> Any:
    """The decoded JSON answer, or the ``RestError`` HTTP or the exchange's ``errors`` decoder says it is.
    ``errors`` tells an exchange's refusal from its success (see ``ErrorDecoder``): the default reads errors
    from the HTTP status alone, which is wrong for an exchange that answers its errors with HTTP 200."""
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
            # encoded=True: the URL goes out byte for byte as given (yarl would re-quote it, sending ',' '*' '('
            # raw where a signer signed '%2C' '%2A' '%28'). No redirect is followed: the allowlist was checked
            # on this URL, and a 307 would re-send the method, body and key headers to one never checked.
            async with session.request(method, yarl.URL(url, encoded=True), params=params, data=data,
                                       headers=hdrs, allow_redirects=False) as resp:
                status = resp.status
                resp_headers = resp.headers
                body = await read_capped(resp, gate.max_body_bytes, endpoint)
    except TimeoutError:
        raise ServerError(f"{where}: no answer within {timeout_s:g} s") from None
    except aiohttp.ClientError as exc:
        raise ServerError(f"{where}: {redact(str(exc))}") from None
    if 300 <= status < 400:
        raise ApiError(redirect_refused_text(where, status, resp_headers), None, status)
    try:
        payload, readable = (orjson.loads(body) if body else None), True
    except orjson.JSONDecodeError:
        payload, readable = None, False
    if status == 429 and readable:
        # The exchange's own reading first: OKX sends its 50011 (a 2 s window) with HTTP 429.
        decoded = errors.decode(status, resp_headers, payload, where)
        if isinstance(decoded, RateLimited):
            raise _gated(decoded, gate, errors)
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
    if not readable:
        unreadable = errors.decode_unreadable(status, resp_headers, where)  # Bybit's 403 HTML page: its IP block
        if unreadable is not None:
            raise _gated(unreadable, gate, errors)
        # The status first: a 401 is the key refused whatever the body (a gateway's HTML page); a ServerError
        # would be retried for ever and a revoked key never disable the account. Not a 403 without JSON:
        # Binance documents its 403 as its web application firewall's block (a rate limit or a security
        # rule), an HTML page that says nothing of the key, and which passes: retried, never disabling.
        if status == 401:
            raise AuthError(f"{where}: HTTP 401 (key refused; the body is not JSON)")
        if status == 403:
            raise ServerError(f"{where}: HTTP 403 with a body that is not JSON (the exchange's "
                              "firewall blocked the request: a rate or security rule); retried")
        raise ServerError(f"{where}: HTTP {status} with a body that is not JSON")
    error = errors.decode(status, resp_headers, payload, where)
    if error is None:
        return payload
    raise _gated(error, gate, errors)


def _gated(error: RestError, gate: RestGate, errors: ErrorDecoder) -> RestError:
    """``error`` (the decoder's), after the endpoint's gate has taken its wait: a maintenance (at least the
    gate's ``maintenance_retry_s``) or an endpoint-wide rate limit pauses every account on it."""
    if isinstance(error, Maintenance):
        error.retry_after_s = max(gate.maintenance_retry_s, error.retry_after_s)
        gate.maintenance = True
        gate.block(error.retry_after_s, f"{errors.exchange or 'exchange'} maintenance")
    elif isinstance(error, RateLimited) and error.endpoint_wide:
        gate.block(error.retry_after_s, "rate limited" + (" (IP banned)" if error.banned else ""),
                   banned=error.banned)
    return error
