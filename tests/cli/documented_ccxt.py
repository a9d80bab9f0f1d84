"""Shared by the documented-ccxt check tests (tests/cli/test_check_documented_ccxt*.py): run ``liqwatch check
--json`` in its own process on a config with one ``exchange = "ccxt"`` account pointed at a server on 127.0.0.1,
and record every (method, path) that server was asked, whatever the route (a middleware sees 404s too), so a
test can hold ccxt's requests against ``ccxt_allowlist.EXACT_REQUESTS``."""

from __future__ import annotations

import asyncio
import copy
import json
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from tests.feeds.documented_bybit import DocumentedBybit
from tests.local_http import served
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def documented(name: str, source: str) -> Any:
    """A fixture's ``response``, after checking its ``_source`` names the exchange's own documentation."""
    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert str(doc["_source"]).startswith(source), name
    return doc["response"]


def record_requests(app: web.Application, seen: list[tuple[str, str]]) -> None:
    """Add a middleware to ``app`` (before it starts) that logs every request's method and path; a socket's
    opening handshake as ("WS", path): that is no REST request of ccxt's, and no EXACT_REQUESTS entry."""
    @web.middleware
    async def log(request: web.Request, handler: Handler) -> web.StreamResponse:
        upgrade = request.headers.get("Upgrade", "").lower() == "websocket"
        seen.append(("WS" if upgrade else request.method, request.path))
        return await handler(request)

    app.middlewares.append(log)


async def run_check(tmp_path: Path, app: web.Application, account: str, env: dict[str, str] | None = None,
                    timeout_s: int = 10) -> tuple[int, dict[str, Any], str]:
    """``account``: the TOML lines of the one account, with ``{rest}`` / ``{ws}`` for the server's bases."""
    async with asyncio.timeout(90), served(app) as base:
        full_env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
                        **(env or {}))
        cfg = tmp_path / "config.toml"
        text = account.replace("{rest}", base).replace("{ws}", base.replace("http://", "ws://"))
        cfg.write_text("[[accounts]]\n" + text, encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            *tui_argv(), "check", "--config", str(cfg), "--json", "--timeout", str(timeout_s),
            cwd=ROOT, env=full_env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
    assert proc.returncode is not None and out, err.decode()[-3000:]
    return proc.returncode, json.loads(out), err.decode()


def _now_ms() -> int:
    return time.time_ns() // 10**6


def bybit_app(seen: list[tuple[str, str]], extra_instruments: tuple[dict[str, Any], ...] = ()) -> web.Application:
    """tests/feeds/documented_bybit.py's server (Bybit's documented examples, REST and both sockets), plus what
    ccxt asks that the examples do not cover, OURS, NOT DOCUMENTED, kept to what ccxt needs to go on:
    - ``/v5/asset/coin/query-info`` (ccxt's fetch_currencies with a key): an empty coin list;
    - ``/v5/market/instruments-info`` for every category but ``linear`` (ccxt's fetch_markets also asks spot,
      inverse and each option base coin): an empty list. The documented example is the linear one, and served
      for every category ccxt parses it as an option and fails (a TypeError in fetch_option_markets)."""
    server = DocumentedBybit(extra_instruments=extra_instruments)

    @web.middleware
    async def ours(request: web.Request, handler: Handler) -> web.StreamResponse:
        category = request.query.get("category")
        if request.path == "/v5/market/instruments-info" and category != "linear":
            return web.json_response({"retCode": 0, "retMsg": "OK", "result": {
                "category": category, "list": [], "nextPageCursor": ""}, "retExtInfo": {}, "time": _now_ms()})
        if request.path == "/v5/asset/coin/query-info":
            return web.json_response({"retCode": 0, "retMsg": "", "result": {"rows": []}, "retExtInfo": {},
                                      "time": _now_ms()})
        return await handler(request)

    record_requests(server.app, seen)
    server.app.middlewares.append(ours)
    return server.app


HL_DOCS = "Hyperliquid API docs"


def hyperliquid_app(seen: list[tuple[str, str]]) -> web.Application:
    """POST /info: ``clearinghouseState`` is Hyperliquid's documented example, verbatim (one isolated ETH long,
    liquidationPx 2866.26936529). OURS, NOT DOCUMENTED, the rest ccxt asks to go on: ``metaAndAssetCtxs`` names
    ETH only (szDecimals 4, maxLeverage 50 as the example's position says) with a mark at the example's entry
    price, there being no documented mark; ``spotMetaAndAssetCtxs``/``spotMeta`` empty; ``perpDexs`` the first
    dex only ([null]); ``userAbstraction`` "default". The public socket answers ``allMids`` (ccxt's tickers) with
    that price as a mid: a mid is no mark, so the adapter polls ``metaAndAssetCtxs`` for marks."""
    (held,) = documented("hyperliquid_clearinghouse_state_docs.json", HL_DOCS)["assetPositions"]
    mark = held["position"]["entryPx"]
    ctx = {"funding": "0.0000125", "openInterest": "1000.0", "prevDayPx": mark, "dayNtlVlm": "0.0",
           "premium": "0.0", "oraclePx": mark, "markPx": mark, "midPx": mark, "impactPxs": [mark, mark],
           "dayBaseVlm": "0.0"}
    meta = {"universe": [{"name": "ETH", "szDecimals": 4, "maxLeverage": 50}], "marginTables": []}
    answers: dict[str, Callable[[], Any]] = {
        "clearinghouseState": lambda: documented("hyperliquid_clearinghouse_state_docs.json", HL_DOCS),
        "metaAndAssetCtxs": lambda: [meta, [ctx]],
        "meta": lambda: meta,
        "spotMetaAndAssetCtxs": lambda: [{"universe": [], "tokens": []}, []],
        "spotMeta": lambda: {"universe": [], "tokens": []},
        "perpDexs": lambda: [None],
        "userAbstraction": lambda: "default",
    }

    async def info(request: web.Request) -> web.Response:
        body = await request.json()
        kind = body.get("type") if isinstance(body, dict) else None
        if kind not in answers:
            return web.Response(status=422, text="Failed to deserialize the JSON body (not served here)")
        return web.json_response(answers[kind]())

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for msg in sock:
            frame = json.loads(msg.data)
            sub = frame.get("subscription") if isinstance(frame, dict) else None
            if frame.get("method") == "ping":
                await sock.send_json({"channel": "pong"})
            elif isinstance(sub, dict):
                await sock.send_json({"channel": "subscriptionResponse", "data": frame})
                if sub.get("type") == "allMids":
                    await sock.send_json({"channel": "allMids", "data": {"mids": {"ETH": mark}}})
        return sock

    app = web.Application()
    app.router.add_post("/info", info)
    app.router.add_get("/ws", ws)
    record_requests(app, seen)
    return app


OKX_DOCS = "OKX v5 API docs"
#: OURS, NOT DOCUMENTED: the one instrument ccxt needs for the documented position (instType MARGIN, BTC-USDT:
#: OKX's spot pair, which its margin positions are held in), in the shape of OKX's public/instruments rows.
OKX_SPOT_BTC_USDT = {"instType": "SPOT", "instId": "BTC-USDT", "baseCcy": "BTC", "quoteCcy": "USDT", "settleCcy": "",
                     "ctVal": "", "ctMult": "", "ctValCcy": "", "lotSz": "0.00000001", "tickSz": "0.1",
                     "minSz": "0.00001", "state": "live", "lever": "10", "listTime": "1606468572000",
                     "expTime": "", "optType": "", "stk": "", "uly": "", "instFamily": "",
                     "maxLmtSz": "9999999999", "maxMktSz": "1000000", "ruleType": "normal"}


def okx_app(seen: list[tuple[str, str]], config: Any = None) -> web.Application:
    """OKX's documented answers: account/positions, account/balance and account/config (``config`` replaces
    the last, a test's own edit, marked there), public/time with its ``ts`` now (a 2020 time would be a clock
    offset of years). OURS, NOT DOCUMENTED, what ccxt asks to go on: public/instruments (``OKX_SPOT_BTC_USDT``
    for SPOT, empty for every other type), asset/currencies empty, and on the public socket a subscription's
    acknowledgement plus one mark-price push at the documented position's ``markPx``."""
    (position,) = documented("okx_positions_docs.json", OKX_DOCS)["data"]

    def envelope(data: list[Any]) -> web.Response:
        return web.json_response({"code": "0", "msg": "", "data": data})

    async def rest(request: web.Request) -> web.Response:
        path = request.path
        if path == "/api/v5/public/time":
            body = copy.deepcopy(documented("okx_time_docs.json", OKX_DOCS))
            body["data"][0]["ts"] = str(_now_ms())
            return web.json_response(body)
        if path == "/api/v5/account/positions":
            return web.json_response(documented("okx_positions_docs.json", OKX_DOCS))
        if path == "/api/v5/account/balance":
            return web.json_response(documented("okx_balance_docs.json", OKX_DOCS))
        if path == "/api/v5/account/config":
            return web.json_response(config if config is not None else documented("okx_config_docs.json", OKX_DOCS))
        if path == "/api/v5/public/instruments":
            return envelope([OKX_SPOT_BTC_USDT] if request.query.get("instType") == "SPOT" else [])
        if path == "/api/v5/asset/currencies":
            return envelope([])
        return web.json_response({"code": "50000", "msg": "not served here", "data": []}, status=404)

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for msg in sock:
            if msg.data == "ping":
                await sock.send_str("pong")
                continue
            frame = json.loads(msg.data)
            if frame.get("op") == "login":
                await sock.send_json({"event": "login", "code": "0", "msg": "", "connId": "a4d3ae55"})
            elif frame.get("op") == "subscribe":
                for arg in frame.get("args", []):
                    await sock.send_json({"event": "subscribe", "arg": arg, "connId": "a4d3ae55"})
                    if arg.get("channel") == "mark-price":
                        await sock.send_json({"arg": arg, "data": [{
                            "instType": position["instType"], "instId": arg.get("instId"),
                            "markPx": position["markPx"], "ts": str(_now_ms())}]})
        return sock

    app = web.Application()
    for kind in ("public", "private", "business"):
        app.router.add_get(f"/ws/v5/{kind}", ws)
    app.router.add_route("*", "/{tail:.*}", rest)
    record_requests(app, seen)
    return app


BINANCE_DOCS = "Binance USDS-M Futures API docs"
#: OURS, NOT DOCUMENTED: BTCUSDT's perpetual, the one market the documented position needs, in the shape of
#: exchangeInfo's rows (Binance's BTCUSDT steps: price 0.10, quantity 0.001).
BINANCE_BTCUSDT = {
    "symbol": "BTCUSDT", "pair": "BTCUSDT", "contractType": "PERPETUAL", "deliveryDate": 4133404800000,
    "onboardDate": 1569398400000, "status": "TRADING", "baseAsset": "BTC", "quoteAsset": "USDT",
    "marginAsset": "USDT", "pricePrecision": 2, "quantityPrecision": 3, "baseAssetPrecision": 8,
    "quotePrecision": 8, "underlyingType": "COIN", "underlyingSubType": [], "triggerProtect": "0.0500",
    "liquidationFee": "0.012500", "marketTakeBound": "0.05", "maxMoveOrderLimit": 10000,
    "filters": [{"filterType": "PRICE_FILTER", "minPrice": "556.80", "maxPrice": "4529764", "tickSize": "0.10"},
                {"filterType": "LOT_SIZE", "stepSize": "0.001", "maxQty": "1000", "minQty": "0.001"},
                {"filterType": "MARKET_LOT_SIZE", "stepSize": "0.001", "maxQty": "120", "minQty": "0.001"},
                {"filterType": "MIN_NOTIONAL", "notional": "100"}],
    "orderTypes": ["LIMIT", "MARKET"], "timeInForce": ["GTC", "IOC", "FOK", "GTX"]}
#: OURS, NOT DOCUMENTED: BTCUSDT's first two leverage brackets (ccxt's load_markets asks them with a key).
BINANCE_BRACKETS = [{"symbol": "BTCUSDT", "notionalCoef": 1.0, "brackets": [
    {"bracket": 1, "initialLeverage": 125, "notionalCap": 50000, "notionalFloor": 0, "maintMarginRatio": 0.004,
     "cum": 0.0},
    {"bracket": 2, "initialLeverage": 100, "notionalCap": 600000, "notionalFloor": 50000, "maintMarginRatio": 0.005,
     "cum": 50.0}]}]
#: OURS, NOT DOCUMENTED: a read-only key's apiRestrictions (reading only, restricted to an IP as liqwatch advises).
BINANCE_READ_ONLY_KEY = {
    "ipRestrict": True, "createTime": 1569398400000, "enableReading": True, "enableWithdrawals": False,
    "enableFutures": False, "enableSpotAndMarginTrading": False, "enableMargin": False,
    "enableVanillaOptions": False, "enablePortfolioMarginTrading": False, "enableFixApiTrade": False,
    "enableFixReadOnly": False, "enableInternalTransfer": False, "permitsUniversalTransfer": False}


def binance_app(seen: list[tuple[str, str]], ws_sent: list[Any] | None = None) -> web.Application:
    """Binance's documented answers: positionRisk (the hedge-mode Position Information example, one LONG row of
    0.001 BTCUSDT and an empty SHORT row) at ccxt's GET /fapi/v3/positionRisk, and the Account Information V2
    example at ccxt's GET /fapi/v3/account. OURS, NOT DOCUMENTED, what ccxt asks to go on: exchangeInfo with
    ``BINANCE_BTCUSDT``, /fapi/v1/time now, leverageBracket ``BINANCE_BRACKETS``, apiRestrictions
    ``BINANCE_READ_ONLY_KEY``, a listen key (POST and PUT), and on the market socket a subscription's answer
    plus one markPriceUpdate per BTCUSDT mark stream at the documented ``markPrice``. The user socket
    (/private/ws?listenKey=...) stays open and quiet. ``ws_sent``: every frame a socket got."""
    rows = documented("binance_position_risk_docs.json", BINANCE_DOCS)
    mark = rows[0]["markPrice"]
    answers: dict[tuple[str, str], Callable[[], Any]] = {
        ("GET", "/fapi/v3/positionRisk"): lambda: documented("binance_position_risk_docs.json", BINANCE_DOCS),
        ("GET", "/fapi/v3/account"): lambda: documented("binance_account_v2_docs.json", BINANCE_DOCS),
        ("GET", "/fapi/v1/exchangeInfo"): lambda: {
            "timezone": "UTC", "serverTime": _now_ms(), "futuresType": "U_MARGINED", "rateLimits": [],
            "exchangeFilters": [], "assets": [], "symbols": [BINANCE_BTCUSDT]},
        ("GET", "/fapi/v1/time"): lambda: {"serverTime": _now_ms()},
        ("GET", "/fapi/v1/leverageBracket"): lambda: BINANCE_BRACKETS,
        ("GET", "/sapi/v1/account/apiRestrictions"): lambda: BINANCE_READ_ONLY_KEY,
        ("POST", "/fapi/v1/listenKey"): lambda: {"listenKey": "documentedListenKey"},
        ("PUT", "/fapi/v1/listenKey"): lambda: {"listenKey": "documentedListenKey"},
    }

    async def rest(request: web.Request) -> web.Response:
        answer = answers.get((request.method, request.path))
        if answer is None:
            return web.json_response({"code": -1000, "msg": "not served here"}, status=404)
        return web.json_response(answer())

    async def ws(request: web.Request) -> web.WebSocketResponse:
        sock = web.WebSocketResponse()
        await sock.prepare(request)
        async for msg in sock:
            frame = json.loads(msg.data)
            if ws_sent is not None:
                ws_sent.append(frame)
            if frame.get("method") != "SUBSCRIBE":
                continue
            await sock.send_json({"result": None, "id": frame.get("id")})
            for stream in frame.get("params", []):
                if str(stream).startswith("btcusdt@markPrice"):
                    await sock.send_json({"e": "markPriceUpdate", "E": _now_ms(), "s": "BTCUSDT", "p": mark,
                                          "i": mark, "P": mark, "r": "0.00010000", "T": _now_ms() + 3600_000})
        return sock

    app = web.Application()
    app.router.add_get("/market/ws/{stream}", ws)  # ccxt's linear market socket, /market/ws/<stream index>
    app.router.add_get("/private/ws", ws)  # and its user socket, ?listenKey=...
    app.router.add_route("*", "/{tail:.*}", rest)
    record_requests(app, seen)
    return app
