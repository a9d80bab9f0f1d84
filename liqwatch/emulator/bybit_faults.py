"""Bybit's shape for the emulator's REST faults (``faults.rest_error`` with exchange "bybit" or "all").

The shared fault rules answer with an HTTP status; Bybit sends its rate limits as HTTP 200 with retCode 10006
(the per-UID limit, its reset time in ``X-Bapi-Limit-Reset-Timestamp``), and a 418 is no Bybit status: its
IP block is an HTTP 403 page from the gateway, with no end time (a Retry-After only when the fault gives one).
5xx stay as the gateway sends them. This middleware sits outside the fault middleware and reshapes what it
answered for a Bybit REST path.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from liqwatch.emulator.rest_fault_shapes import exchange_of

RATE_LIMITED = 10006


def bybit_fault_shape(now_ms: Callable[[], int]) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def middleware(
        request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        response = await handler(request)
        if exchange_of(request.path) != "bybit" or response.status not in (418, 429):
            return response
        if response.status == 418:
            # Bybit's page names no end time; a fault given a Retry-After keeps it (as a proxy in front may).
            given = response.headers.get("Retry-After")
            return web.Response(status=403, text="<html><body>403 Forbidden: access too frequent</body></html>",
                                content_type="text/html", headers={"Retry-After": given} if given else None)
        retry_s = float(response.headers.get("Retry-After", "1"))
        now = now_ms()
        return web.json_response(
            {"retCode": RATE_LIMITED, "retMsg": "Too many visits!", "result": {}, "retExtInfo": {}, "time": now},
            headers={"X-Bapi-Limit-Status": "0", "X-Bapi-Limit": "10",
                     "X-Bapi-Limit-Reset-Timestamp": str(now + int(retry_s * 1000))},
        )

    return middleware
