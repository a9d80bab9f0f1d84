"""Binance USDⓈ-M REST, the plumbing every handler shares: request weight accounting, the public, keyed
and signed wrappers (API key, signature, Binance's error bodies), symbol lookup and the shared constants."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from liqwatch.emulator.accounts import BinanceAccount
from liqwatch.emulator.binance_auth import BinanceError, ListenKeys, account_for_key, verify_signed
from liqwatch.emulator.market import SimMarket
from liqwatch.emulator.position_faults import PositionFaults
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
SignedHandler = Callable[[web.Request, BinanceAccount, dict[str, str]], Awaitable[web.StreamResponse]]

_ONBOARD_MS = 1569398400000
_DELIVERY_MS = 4133404800000
_WEIGHTS = {
    "/fapi/v1/exchangeInfo": 1,
    "/fapi/v1/premiumIndex": 1,
    "/fapi/v1/leverageBracket": 1,
    "/fapi/v2/positionRisk": 5,
    "/fapi/v3/positionRisk": 5,
    "/fapi/v2/account": 5,
    "/fapi/v3/account": 5,
    "/fapi/v2/balance": 5,
    "/fapi/v3/balance": 5,
    "/fapi/v1/income": 30,
    "/fapi/v1/multiAssetsMargin": 30,
    "/fapi/v1/forceOrders": 20,
}


def _num(value: float) -> int | float:
    """Bracket figures are JSON numbers on Binance; integral ones print without a fraction."""
    if math.isinf(value):
        return 9_000_000_000_000
    return int(value) if float(value).is_integer() else value


def invalid_symbol() -> BinanceError:
    return BinanceError(400, -1121, "Invalid symbol.")



class BinanceRestBase:
    """The simulation a handler answers from, and the wrappers routes are built with."""

    def __init__(
        self,
        sim: Simulation,
        listen_keys: ListenKeys,
        on_listen_key_deleted: Callable[[str], Awaitable[None]],
        position_faults: PositionFaults | None = None,
    ) -> None:
        self.sim = sim
        self.position_faults = position_faults or PositionFaults()
        self.listen_keys = listen_keys
        self._on_deleted = on_listen_key_deleted
        self._weights: deque[tuple[float, int]] = deque()

    # --- plumbing -----------------------------------------------------------------------------------
    def _used_weight(self, path: str) -> int:
        now = self.sim.clock.monotonic()
        self._weights.append((now, _WEIGHTS.get(path, 1)))
        while self._weights and self._weights[0][0] < now - 60.0:
            self._weights.popleft()
        return sum(w for _, w in self._weights)

    def _finish(self, request: web.Request, response: web.StreamResponse) -> web.StreamResponse:
        response.headers["X-MBX-USED-WEIGHT-1M"] = str(self._used_weight(request.path))
        return response

    def _public(self, handler: Handler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                return self._finish(request, await handler(request))
            except BinanceError as exc:
                return self._finish(request, exc.response())

        return wrapped

    def _keyed(self, handler: Callable[[web.Request, BinanceAccount], Awaitable[web.StreamResponse]]) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                account = account_for_key(request, self.sim.binance_by_key)
                return self._finish(request, await handler(request, account))
            except BinanceError as exc:
                return self._finish(request, exc.response())

        return wrapped

    def _signed(self, handler: SignedHandler) -> Handler:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            try:
                account = account_for_key(request, self.sim.binance_by_key)
                body = await request.text() if request.can_read_body else ""
                params = verify_signed(request, body, account, self.sim.now_ms())
                if account.spec.portfolio_margin and request.path.startswith("/fapi/"):
                    # Binance strips the Futures permission from a Portfolio Margin account's keys.
                    raise BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")
                return self._finish(request, await handler(request, account, params))
            except BinanceError as exc:
                return self._finish(request, exc.response())

        return wrapped

    def _market(self, symbol: str | None) -> SimMarket:
        if symbol is None or symbol not in self.sim.binance_markets:
            raise invalid_symbol()
        return self.sim.binance_markets[symbol]

    def _symbols(self, params: dict[str, str] | Any) -> list[str]:
        symbol = params.get("symbol")
        if symbol is None:
            return list(self.sim.binance_markets)
        self._market(symbol)
        return [symbol]

