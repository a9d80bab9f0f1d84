"""OKX v5's errors: HTTP 200 (or the code's own status) with ``{"code": str, "msg": str, "data": [...]}``;
``code`` "0" is the only success, and each item of ``data`` may carry its own ``sCode``/``sMsg`` (code "1"
operation failed, "2" partially succeeded). The numbers are from OKX's v5 "Error Code" section.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from liqwatch.feeds.rest_errors import (
    ApiError,
    AuthError,
    ClockRejected,
    ErrorDecoder,
    Maintenance,
    RateLimited,
    RestError,
    ServerError,
    envelope_text,
    retry_after,
)

#: 50100 API frozen, 50101 API key of another environment (demo/live), 50103-50107 a required OK-ACCESS-*
#: header missing (or 50105 the passphrase wrong), 50110 IP not on the key's whitelist, 50111 invalid
#: OK-ACCESS-KEY, 50113 invalid signature, 50114 invalid authorization.
AUTH_CODES = frozenset({"50100", "50101", "50103", "50104", "50105", "50106", "50107", "50110", "50111",
                        "50113", "50114"})
#: 50102 timestamp request expired, 50112 invalid OK-ACCESS-TIMESTAMP: measure the clock, re-sign.
CLOCK_CODES = frozenset({"50102", "50112"})
#: 50011 rate limit reached, 50061 sub-account rate limit reached.
RATE_CODES = frozenset({"50011", "50061"})
#: 50001 service temporarily unavailable: the endpoint waits as for an HTTP 503.
MAINTENANCE_CODES = frozenset({"50001"})
#: 50004 endpoint request timeout, 50013 system busy, 50026 system error: retried.
SERVER_CODES = frozenset({"50004", "50013", "50026"})
#: Login answers (``op: login`` on the private socket) that say nothing against the key: 60004 invalid timestamp
#: and 60006 timestamp expired (signed again at the next attempt), 60014 requests too frequent, 60028 service
#: unavailable, 63999 internal error ("please try again later"). The socket is retried with backoff; any other
#: refusal (60005 invalid key, 60007 invalid sign, 60024 wrong passphrase...) is the key's.
LOGIN_TRANSIENT_CODES = frozenset({"60004", "60006", "60014", "60028", "63999"})
#: Of those, the login's timestamp refused: OKX's clock is measured again before the next login is signed.
LOGIN_CLOCK_CODES = frozenset({"60004", "60006"})
#: OKX limits are counted per 2 s window; no Retry-After is documented.
DEFAULT_LIMIT_WAIT_S = 2.0


def _str_code(value: Any) -> str | None:
    """A code as OKX sends it (a string of digits); an int from a re-encoding proxy is read as its digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str) and value.strip().lstrip("-").isascii() and value.strip().lstrip("-").isdigit():
        return value.strip()
    return None


def _failed_item(data: Any) -> tuple[object, object] | None:
    """The first item of ``data`` whose ``sCode`` is not "0": (sCode, sMsg). ``data`` is a list, or one
    object (read as a list of one: a failed item is never a success whatever shape it comes in)."""
    items = [data] if isinstance(data, dict) else data if isinstance(data, list) else []
    for item in items:
        if isinstance(item, dict) and "sCode" in item and _str_code(item.get("sCode")) != "0":
            return item.get("sCode"), item.get("sMsg")
    return None


class OkxErrors(ErrorDecoder):
    exchange = "okx"

    def decode(self, status: int, headers: Mapping[str, str], body: Any, where: str) -> RestError | None:
        envelope = body if isinstance(body, dict) else {}
        raw, msg = envelope.get("code"), envelope.get("msg")
        code = _str_code(raw)
        outer = code
        item = _failed_item(envelope.get("data"))
        if code == "0" and item is None and status < 400:
            return None
        if item is not None:  # the item's own code says what failed; an answer is never applied in part
            raw, msg = item
            code = _str_code(raw) or code
        text = envelope_text(where, self.exchange, status, raw, msg)
        if outer not in (None, "0", code):
            text = f"{text} (the answer's own code: {outer})"
        # OKX judges a request's timestamp before its key: a timestamp code anywhere in the answer (the item's
        # first, else the envelope's, beside an auth code in the other place) says the key was not judged.
        # Before the 401 rule: OKX sends its timestamp codes with HTTP 401, and a clock that drifted or stepped
        # (a laptop waking up) is no wrong key: read as one, it disabled the account for good.
        clock = next((c for c in (code, outer) if c in CLOCK_CODES), None)
        if clock is not None:
            return ClockRejected(text, clock, status)
        if code is None:
            if status in (401, 403):
                return AuthError(text)
            return ApiError(f"{text} (no code in the answer)", None, status)
        if code in AUTH_CODES or (code != "0" and status in (401, 403) and code not in RATE_CODES):
            return AuthError(text)
        if code in RATE_CODES:
            wait = retry_after(headers, DEFAULT_LIMIT_WAIT_S)
            return RateLimited(f"{text}, retry after {wait:g} s", wait)
        if code in MAINTENANCE_CODES:
            return Maintenance(text, retry_after(headers, 0.0))
        if code in SERVER_CODES:
            return ServerError(text)
        return ApiError(text, code, status)


OKX_ERRORS = OkxErrors()
