"""The typed REST errors, and the exchange-supplied decoder that tells an answer's error from its success.

Exchanges do not agree on what an error looks like: Binance answers one with an HTTP status >= 400 and a
``{"code", "msg"}`` body; Bybit v5 and OKX v5 answer HTTP 200 with an envelope whose code says it
(``retCode`` != 0, ``code`` != "0"). ``request_json`` owns what HTTP itself says (a timeout, 418/429, 503,
5xx, a body that is not JSON) and hands every decoded JSON answer to the exchange's ``ErrorDecoder``.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from typing import Any

from liqwatch.redact import redact


class RestError(Exception):
    """A REST call failed; the message is already redacted."""


class RateLimited(RestError):
    """Too many requests: wait ``retry_after_s``. ``endpoint_wide`` (the default) pauses every account of the
    endpoint through its ``RestGate`` (a limit per IP); False for a limit of one key (Bybit's per-UID 10006)."""

    def __init__(self, message: str, retry_after_s: float, banned: bool = False, *,
                 endpoint_wide: bool = True) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.banned = banned
        self.endpoint_wide = endpoint_wide


class ServerError(RestError):
    pass


class Maintenance(RateLimited):
    """The exchange is unavailable (maintenance, or overloaded). Every account on the endpoint waits
    ``retry_after_s`` (at least ``RestGate.maintenance_retry_s``) before the next try, as for a rate limit."""


class ResponseTooLarge(RestError):
    """A body over ``RestGate.max_body_bytes``: refused before (Content-Length) or while reading it."""


class AuthError(RestError):
    """Wrong key, signature, passphrase or permissions: retrying will not help."""


class ApiError(RestError):
    """The exchange refused the request with its own code: an int (Binance, Bybit) or the string OKX sends."""

    def __init__(self, message: str, code: int | str | None, status: int) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


class ClockRejected(ApiError):
    """The request's timestamp is outside the exchange's window (Binance -1021, Bybit 10002, OKX 50102):
    measure the server clock again, re-sign and retry once."""


#: The longest wait any Retry-After is taken for: Binance's IP bans last "from 2 minutes to 3 days". A longer
#: one (1e12, a typo, a hostile proxy) would pause every account of the endpoint for good.
MAX_RETRY_AFTER_S = 3 * 86400.0


def bounded_wait(seconds: float, default: float) -> float:
    """A wait within (0, MAX_RETRY_AFTER_S]; ``default`` when none can be read: not finite (inf, NaN), or not
    above 0 (a Retry-After of -30, a reset time already past on our clock): no exchange asks to be sent the
    next request at once, and taking it so sends every account of the endpoint straight into the same limit."""
    if not math.isfinite(seconds) or seconds <= 0:
        return default
    return min(seconds, MAX_RETRY_AFTER_S)


def retry_after(headers: Mapping[str, str], default: float) -> float:
    """Retry-After in seconds, bounded; ``default`` when absent, not a number or not above 0."""
    value = headers.get("Retry-After")
    if value is None:
        return default
    try:
        return bounded_wait(float(value), default)
    except ValueError:
        return default


def int_code(value: Any) -> int | None:
    """An exchange's numeric code as it sends it (an int), or as a string of ASCII digits with an optional
    minus (a proxy that re-encoded it): -1021 and "-1021" are the same code. Anything else (a bool, a float,
    "²", which ``str.isdigit`` takes for a digit but ``int`` refuses, 5,000 digits, which ``int`` refuses
    too) is no code."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        digits = value.strip()
        digits = digits[1:] if digits.startswith("-") else digits
        if digits.isascii() and digits.isdigit() and len(digits) <= 18:
            return int(value.strip())
    return None


#: The longest an exchange's code and message are quoted in an error: what one echoes is its own choice (a
#: 1 MB message would go whole into logs, notes and the screen).
MAX_CODE_CHARS = 100
MAX_MSG_CHARS = 500


def _bounded_text(value: object, limit: int) -> str:
    # Redacted before it is cut: a secret cut in two would no longer be found and masked.
    text = redact(str(value))
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} chars)"


def envelope_text(where: str, exchange: str, status: int, code: object, msg: object) -> str:
    """The message of an exchange's refusal: where, the HTTP status, the exchange's code and message.
    Redacted whole: every field the exchange echoes (its code as well as its message) may carry what it
    was sent. The code and the message are cut at ``MAX_CODE_CHARS`` and ``MAX_MSG_CHARS`` (an ellipsis and
    the full length say so)."""
    code_text, msg_text = _bounded_text(code, MAX_CODE_CHARS), _bounded_text(msg, MAX_MSG_CHARS)
    return redact(f"{where}: HTTP {status}, {exchange} code {code_text}: {msg_text}")


class ErrorDecoder(ABC):
    """An exchange's reading of its own answers.

    ``request_json`` calls ``decode`` once per answer whose body is JSON, after it has dealt with what HTTP
    says alone (timeouts, 418/429, 503, other 5xx, a body that is not JSON): it is given the HTTP status, the
    response headers, the decoded body and ``where`` (the redacted method and URL, for the message).

    Contract: return None when the answer is a success (the body is then returned to the caller whole), or
    the ``RestError`` to raise: ``AuthError`` (retrying will not help), ``RateLimited`` (with the wait it
    reads; an ``endpoint_wide`` one blocks the endpoint's gate), ``Maintenance`` (the gate waits at least its
    ``maintenance_retry_s``), ``ClockRejected`` (re-sign after measuring the clock), ``ServerError``
    (retried), or ``ApiError`` (any other refusal, with the exchange's code). Its message names the
    exchange's code and message and is redacted (``envelope_text``). It never raises itself, and never
    returns a success for a body it cannot read as one: an envelope without its code is an error.
    """

    #: The exchange's name, as error messages give it.
    exchange: str = ""

    @abstractmethod
    def decode(self, status: int, headers: Mapping[str, str], body: Any, where: str) -> RestError | None:
        """None for a success, else the error to raise (see the class docstring)."""

    def decode_unreadable(self, status: int, headers: Mapping[str, str], where: str) -> RestError | None:
        """The error an answer whose body is not JSON (a gateway's HTML page) means for this exchange, or None
        to leave it to ``request_json``'s reading by the HTTP status alone. Never raises."""
        return None


class HttpStatusErrors(ErrorDecoder):
    """Errors told by the HTTP status alone, a ``{"code", "msg"}`` body read for the message: what
    ``request_json`` did before decoders were per exchange, kept as its default (Hyperliquid's /info).
    ``auth_codes`` are body codes that mean the key itself was refused, whatever the status."""

    def __init__(self, exchange: str = "exchange", auth_codes: frozenset[int] = frozenset(),
                 clock_codes: frozenset[int] = frozenset()) -> None:
        self.exchange = exchange
        self.auth_codes = auth_codes
        self.clock_codes = clock_codes

    def decode(self, status: int, headers: Mapping[str, str], body: Any, where: str) -> RestError | None:
        if status < 400:
            return None
        code = body.get("code") if isinstance(body, dict) else None
        msg = body.get("msg") if isinstance(body, dict) else None
        text = envelope_text(where, self.exchange, status, code, msg)
        number = int_code(code)
        if status in (401, 403) or (number is not None and number in self.auth_codes):
            return AuthError(text)
        if number is not None and number in self.clock_codes:
            return ClockRejected(text, number, status)
        return ApiError(text, number, status)


def redirect_refused_text(where: str, status: int, headers: Mapping[str, str]) -> str:
    """Why a redirect was not followed (the native ``request_json`` and the ccxt session say it alike): the
    allowlist was checked on the URL asked for, and a redirect would re-send the key headers elsewhere. The
    Location is shown without its query and redacted."""
    location = redact(headers.get("Location", "").split("?", 1)[0]) or "nowhere (no Location)"
    return (f"{where}: HTTP {status} redirect to {location} refused: liqwatch follows no redirect "
            "(check the account's rest_url)")
