"""Binance USDⓈ-M's errors: an HTTP status >= 400 with a ``{"code": int, "msg": str}`` body.

Binance's error codes page (derivatives/usds-margined-futures/error-code) for the numbers below. A 429/418
(rate limit, IP ban) and a 503 are HTTP's own and handled by ``request_json`` before any decoder.
"""

from __future__ import annotations

from liqwatch.feeds.rest_errors import HttpStatusErrors

#: The key itself was refused, whatever the status: -2014 API-key format invalid, -2015 invalid key, IP or
#: permissions, -1022 signature not valid, -2008 invalid API-key ID.
AUTH_CODES = frozenset({-2014, -2015, -1022, -2008})
#: -1021 INVALID_TIMESTAMP: "Timestamp for this request is outside of the recvWindow".
TIMESTAMP_OUTSIDE_WINDOW = -1021
#: -1125 INVALID_LISTEN_KEY: "This listenKey does not exist." (POST a new one).
LISTEN_KEY_MISSING = -1125


class BinanceErrors(HttpStatusErrors):
    """HTTP 401/403 or an auth code: ``AuthError``; -1021: ``ClockRejected``; any other status >= 400:
    ``ApiError`` with Binance's int code. A 2xx is a success whatever its body."""

    def __init__(self) -> None:
        super().__init__("binance", AUTH_CODES, frozenset({TIMESTAMP_OUTSIDE_WINDOW}))


BINANCE_ERRORS = BinanceErrors()
