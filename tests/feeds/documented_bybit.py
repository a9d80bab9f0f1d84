"""A small Bybit v5 server for one test, answering with Bybit's own documented response examples
(tests/fixtures/bybit_*_docs.json, each with its source): the REST paths the adapter reads and the two sockets.

What the server adds to the examples, and only this: every exchange time a reader judges against the clock
(market/time, the ticker frame's ``ts``) is now (a 2023 server time would be a clock offset of years, and an
old ``ts`` an implausible frame); a request for the page after ``nextPageCursor`` gets an empty last page (the
example names a next page it does not show); the private socket answers ``auth``/``subscribe`` with the
documented acknowledgements; the public one answers a subscription with the acknowledgement and the
documented ticker frame for each topic asked: as documented for ``tickers.BTCUSDT``, and for the documented
position's symbol (XRPUSDT, which no ticker example shows) that frame with its topic and symbol renamed and
its prices (mark, last, index) set to the position example's ``markPrice``: a BTC price of 66666.60 would be
no XRP mark; and, where a test asks (``extra_instruments``, that test's own edit, marked there), instrument
rows after the instruments-info example's one (BTCUSDT). Signatures are not checked (the adapter signs every
private request; its read-only guard is what a test of this server exercises)."""

from __future__ import annotations

import copy
import json
import time
from pathlib import Path
from typing import Any

from aiohttp import web

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

#: REST path -> the fixture that answers it (the documented example of that endpoint).
REST_FIXTURES = {
    "/v5/market/time": "bybit_market_time_docs.json",
    "/v5/user/query-api": "bybit_apikey_info_docs.json",
    "/v5/account/info": "bybit_account_info_docs.json",
    "/v5/account/fee-rate": "bybit_fee_rate_docs.json",
    "/v5/market/risk-limit": "bybit_risk_limit_docs.json",
    "/v5/market/instruments-info": "bybit_instruments_info_docs.json",
    "/v5/market/mark-price-kline": "bybit_mark_price_kline_docs.json",
    "/v5/market/tickers": "bybit_tickers_docs.json",
    "/v5/position/list": "bybit_position_list_linear_docs.json",
    "/v5/account/wallet-balance": "bybit_wallet_balance_docs.json",
    "/v5/execution/list": "bybit_execution_list_docs.json",
}
SIGNED = frozenset({"/v5/user/query-api", "/v5/account/info", "/v5/account/fee-rate", "/v5/position/list",
                    "/v5/account/wallet-balance", "/v5/execution/list"})


def documented(name: str) -> dict[str, Any]:
    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert str(doc["_source"]).startswith("Bybit v5 API docs"), name
    return doc


def response(name: str) -> Any:
    return documented(name)["response"]


class DocumentedBybit:
    """The app, and what it was asked (paths, and whether each private request carried a signature)."""

    def __init__(self, risk_limit_in_fractions: bool = False,
                 extra_instruments: tuple[dict[str, Any], ...] = ()) -> None:
        #: Serve the risk-limit example with its percent rates written as the API's fractions (initialMargin
        #: "1" -> "0.01", maintenanceMargin "0.5" -> "0.005"): the only way its one tier can be read at all.
        self.risk_limit_in_fractions = risk_limit_in_fractions
        #: Rows served after the instruments-info example's (which lists BTCUSDT only): a test's own edit,
        #: which that test marks as such (no documented example gives another symbol's priceFilter).
        self.extra_instruments = extra_instruments
        self.requests: list[tuple[str, bool]] = []
        self.ws_sent: list[dict[str, Any]] = []
        self.app = web.Application()
        for path in REST_FIXTURES:
            self.app.router.add_get(path, self._rest)
        self.app.router.add_get("/v5/public/linear", self._public)
        self.app.router.add_get("/v5/private", self._private)

    async def _rest(self, request: web.Request) -> web.Response:
        path = request.path
        self.requests.append((path, "X-BAPI-SIGN" in request.headers))
        if path in SIGNED and "X-BAPI-SIGN" not in request.headers:
            return web.json_response({"retCode": 10003, "retMsg": "API key is invalid.", "result": {},
                                      "retExtInfo": {}, "time": _now_ms()})
        body = copy.deepcopy(response(REST_FIXTURES[path]))
        if path == "/v5/market/time":
            now_ns = time.time_ns()
            body["result"] = {"timeSecond": str(now_ns // 10**9), "timeNano": str(now_ns)}
            body["time"] = now_ns // 10**6
        if path == "/v5/market/risk-limit" and self.risk_limit_in_fractions:
            for tier in body["result"]["list"]:
                for rate in ("initialMargin", "maintenanceMargin"):
                    tier[rate] = f"{float(tier[rate]) / 100:g}"
        if path == "/v5/market/instruments-info":
            body["result"]["list"].extend(copy.deepcopy(list(self.extra_instruments)))
        if request.query.get("cursor"):  # the page after the example's nextPageCursor: the last, empty
            body["result"] = {**body["result"], "list": [], "nextPageCursor": ""}
        return web.json_response(body)

    async def _public(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        tickers = documented_tickers()
        ack = documented("bybit_ws_acks_docs.json")["subscribe"]
        async for msg in ws:
            frame = json.loads(msg.data)
            if frame.get("op") == "ping":
                await ws.send_json({"success": True, "ret_msg": "pong", "conn_id": ack["conn_id"], "req_id": "",
                                    "op": "ping"})
            elif frame.get("op") == "subscribe":
                await ws.send_json(ack)
                for topic in frame.get("args", []):
                    if topic in tickers:
                        await self._send(ws, {**tickers[topic], "ts": _now_ms()})
        return ws

    async def _private(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        acks = documented("bybit_ws_acks_docs.json")
        async for msg in ws:
            op = json.loads(msg.data).get("op")
            if op in ("auth", "subscribe"):
                await self._send(ws, acks[op])
            elif op == "ping":
                await ws.send_json({"success": True, "ret_msg": "", "op": "pong", "conn_id": acks["auth"]["conn_id"]})
        return ws

    async def _send(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        self.ws_sent.append(frame)
        await ws.send_json(frame)


def documented_tickers() -> dict[str, dict[str, Any]]:
    """The ticker frame of each topic served: Bybit's example, and its copy for the documented position's symbol."""
    frame = response("bybit_ws_ticker_docs.json")
    (row,) = response("bybit_position_list_linear_docs.json")["result"]["list"]
    symbol, mark = row["symbol"], row["markPrice"]
    copied = {**frame, "topic": f"tickers.{symbol}",
              "data": {**frame["data"], "symbol": symbol, "markPrice": mark, "lastPrice": mark, "indexPrice": mark}}
    return {frame["topic"]: frame, copied["topic"]: copied}


def _now_ms() -> int:
    return time.time_ns() // 10**6
