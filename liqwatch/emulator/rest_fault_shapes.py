"""The emulator's REST faults in each exchange's own shape: which exchange a path belongs to, and the error
answer each sends (Binance's JSON codes, Hyperliquid's bare status text, OKX's envelope; Bybit's 429/418 are
reshaped after the fact by ``bybit_faults``)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from aiohttp import web

from liqwatch.emulator.okx_faults import okx_rest_error

EXCHANGES = ("all", "binance", "hyperliquid", "bybit", "okx")
#: The Retry-After a 429/418 fault carries when none was given (Bybit's shape keeps None: see ``bybit_faults``).
DEFAULT_RETRY_AFTER_S = {429: 1, 418: 120}


@dataclass(slots=True)
class RestRule:
    """A REST fault: answer with ``status`` (or delay by ``delay``) for ``remaining`` requests or until ``until``."""

    exchange: str
    remaining: int | None  # None: until ``until``
    until: float | None  # monotonic seconds
    status: int = 0
    retry_after: int | None = None
    delay: float = 0.0
    #: Only requests to this path (a prefix, optionally after a method: ``"PUT /fapi/v1/listenKey"``); None: all.
    #: A test that aims at one call must not have its fault eaten by a background request to another.
    path: str | None = None

    def live(self, now: float) -> bool:
        if self.remaining is not None and self.remaining <= 0:
            return False
        return not (self.until is not None and now >= self.until)

    def applies(self, exchange: str, now: float, method: str = "", path: str = "") -> bool:
        return self.live(now) and self.exchange in ("all", exchange) and self._matches(method, path)

    def _matches(self, method: str, path: str) -> bool:
        if self.path is None:
            return True
        want_method, _, want_path = self.path.rpartition(" ")
        return (not want_method or want_method.upper() == method.upper()) and path.startswith(want_path)

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


def exchange_of(path: str) -> str | None:
    """Which exchange a REST path belongs to; None for websockets and the control endpoint."""
    if path.startswith(("/fapi/", "/sapi/")):
        return "binance"
    if path == "/info":
        return "hyperliquid"
    if path.startswith("/v5/") and not path.startswith(("/v5/public/", "/v5/private")):
        return "bybit"
    return "okx" if path.startswith("/api/v5/") else None


def rest_error_response(exchange: str, rule: RestRule, now_ms: int) -> web.Response:
    """The answer ``exchange`` gives when ``rule`` fires (``now_ms``: for Binance's ban-until time)."""
    if rule.retry_after is None and rule.status in DEFAULT_RETRY_AFTER_S and exchange != "bybit":
        rule = replace(rule, retry_after=DEFAULT_RETRY_AFTER_S[rule.status])
    if exchange == "okx":
        return okx_rest_error(rule.status, rule.retry_after)
    return binance_error(rule, now_ms) if exchange == "binance" else hyperliquid_error(rule)


def binance_error(rule: RestRule, now_ms: int) -> web.Response:
    headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
    if rule.status == 429:
        msg = (
            "Too many requests; current limit of IP(127.0.0.1) request weight per minute is 2400. "
            "Please use WebSocket Streams for live updates to avoid polling the API."
        )
        body = {"code": -1003, "msg": msg}
    elif rule.status == 418:
        until = now_ms + 1000 * (rule.retry_after or 0)
        msg = (
            f"Way too many requests; IP(127.0.0.1) banned until {until}. "
            "Please use WebSocket Streams for live updates to avoid bans."
        )
        body = {"code": -1003, "msg": msg}
    else:
        body = {"code": -1001, "msg": "Internal error; unable to process your request. Please try again."}
    return web.json_response(body, status=rule.status, headers=headers)


def hyperliquid_error(rule: RestRule) -> web.Response:
    headers = {"Retry-After": str(rule.retry_after)} if rule.retry_after is not None else {}
    text = {418: "Too Many Requests", 429: "Too Many Requests", 503: "Service Unavailable"}.get(
        rule.status, "Internal Server Error")
    return web.Response(status=rule.status, text=text, headers=headers)
