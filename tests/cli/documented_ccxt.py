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
