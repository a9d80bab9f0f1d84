"""Bybit v5's errors: HTTP 200 with ``{"retCode": int, "retMsg": str, "result": ...}``, ``retCode`` 0 the only
success (bybit-exchange.github.io/docs/v5/error; the numbers are quoted below where they are used).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liqwatch.clock import Clock, SystemClock
from liqwatch.feeds.rest_errors import (
    ApiError,
    AuthError,
    ClockRejected,
    ErrorDecoder,
    RateLimited,
    RestError,
    ServerError,
    bounded_wait,
    envelope_text,
    int_code,
    retry_after,
)

#: 10003 invalid API key (or another environment's), 10004 signature error, 10005 permission denied,
#: 10007 user authentication failed, 10010 request IP not bound to the key, 33004 API key expired.
AUTH_CODES = frozenset({10003, 10004, 10005, 10007, 10010, 33004})
#: 10002 "invalid request, please check your server timestamp or recv_window param".
TIMESTAMP_OUTSIDE_WINDOW = 10002
#: 10006 too many visits: the per-UID limit of one key (its reset time in X-Bapi-Limit-Reset-Timestamp).
UID_RATE_LIMITED = 10006
#: 10018 the per-IP limit: every account of the endpoint waits.
IP_RATE_LIMITED = 10018
#: 10000 server timeout, 10016 internal server error or service restarting: retried.
SERVER_CODES = frozenset({10000, 10016})
#: HTTP 403 is Bybit's IP block ("access too frequent"): stop every HTTP session and wait at least 10 min. It is
#: a ban in the REST gate's sense (every account of the endpoint, its own alert); the page gives no end time,
#: so the wait is Bybit's 10 min unless a Retry-After (a proxy's, a gateway's) says otherwise.
IP_BLOCK_WAIT_S = 600.0
#: A per-second limit with no reset time given: the next second.
DEFAULT_LIMIT_WAIT_S = 1.0


class BybitErrors(ErrorDecoder):
    exchange = "bybit"

    def __init__(self, clock: Clock | None = None) -> None:
        # Reads the limit's reset time (epoch ms, Bybit's clock) as a wait: the adapter's injected clock, the
        # one its measured server-time offset corrects (never the system clock behind a test's back).
        self.clock: Clock = clock or SystemClock()

    def _limit_wait(self, headers: Mapping[str, str]) -> float:
        """The wait until the reset time; the default when none is given or it is unreadable or already past
        (our clock ahead of Bybit's: the limit still holds, ``bounded_wait``)."""
        reset = headers.get("X-Bapi-Limit-Reset-Timestamp")
        try:
            wait = float(reset) / 1000.0 - self.clock.now().timestamp() if reset is not None else None
        except ValueError:
            wait = None
        return DEFAULT_LIMIT_WAIT_S if wait is None else bounded_wait(wait, DEFAULT_LIMIT_WAIT_S)

    def _ip_block(self, text: str, headers: Mapping[str, str]) -> RateLimited:
        wait = retry_after(headers, IP_BLOCK_WAIT_S)
        return RateLimited(f"{text} (IP banned, waiting {wait:g} s)", wait, banned=True)

    def decode_unreadable(self, status: int, headers: Mapping[str, str], where: str) -> RestError | None:
        """Bybit's IP block is served by its gateway, as an HTML page more often than as JSON: the status says it."""
        if status == 403:
            return self._ip_block(f"{where}: HTTP 403 with a body that is not JSON", headers)
        return None

    def decode(self, status: int, headers: Mapping[str, str], body: Any, where: str) -> RestError | None:
        envelope = body if isinstance(body, dict) else {}
        raw, msg = envelope.get("retCode"), envelope.get("retMsg")
        code = int_code(raw)
        text = envelope_text(where, self.exchange, status, raw, msg)
        if status == 401:
            return AuthError(text)
        if status == 403:
            return self._ip_block(text, headers)
        if code is None:  # no retCode: nothing says it is a success, so it is not one
            return ApiError(f"{text} (no retCode in the answer)", None, status)
        if code == 0 and status < 400:
            return None
        if code in AUTH_CODES:
            return AuthError(text)
        if code == TIMESTAMP_OUTSIDE_WINDOW:
            return ClockRejected(text, code, status)
        if code in (UID_RATE_LIMITED, IP_RATE_LIMITED):
            wait = self._limit_wait(headers)
            return RateLimited(f"{text}, retry after {wait:g} s", wait, endpoint_wide=code == IP_RATE_LIMITED)
        if code in SERVER_CODES:
            return ServerError(text)
        return ApiError(text, code, status)


BYBIT_ERRORS = BybitErrors()
