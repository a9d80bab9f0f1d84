"""Binance USDⓈ-M REST at its real paths, with Binance's payload shapes, string numbers and error codes."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from liqwatch.emulator.accounts import BinanceAccount, BinancePosition, PositionSide
from liqwatch.emulator.binance_auth import BinanceError, ListenKeys, account_for_key, verify_signed
from liqwatch.emulator.binance_history import force_orders
from liqwatch.emulator.candles import INTERVALS_MS, select
from liqwatch.emulator.fmt import fixed, precise_price, trimmed
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


class BinanceRest:
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

    def routes(self) -> list[web.RouteDef]:
        s = self._signed
        return [
            web.get("/fapi/v1/ping", self._public(self.ping)),
            web.get("/fapi/v1/time", self._public(self.time)),
            web.get("/fapi/v1/exchangeInfo", self._public(self.exchange_info)),
            web.get("/fapi/v1/premiumIndex", self._public(self.premium_index)),
            web.get("/fapi/v1/fundingInfo", self._public(self.funding_info)),
            web.get("/fapi/v1/fundingRate", self._public(self.funding_rate_history)),
            web.get("/fapi/v1/markPriceKlines", self._public(self.mark_price_klines)),
            web.get("/fapi/v1/leverageBracket", s(self.leverage_bracket)),
            web.get("/fapi/v2/positionRisk", s(self.position_risk_v2)),
            web.get("/fapi/v3/positionRisk", s(self.position_risk_v3)),
            web.get("/fapi/v2/account", s(self.account_v2)),
            web.get("/fapi/v3/account", s(self.account_v3)),
            web.get("/fapi/v2/balance", s(self.balance)),
            web.get("/fapi/v3/balance", s(self.balance)),
            web.get("/fapi/v1/income", s(self.income)),
            web.get("/fapi/v1/multiAssetsMargin", s(self.multi_assets_margin)),
            web.get("/fapi/v1/forceOrders", s(self.force_orders)),
            web.get("/sapi/v1/account/apiRestrictions", s(self.api_restrictions)),
            web.get("/sapi/v1/capital/config/getall", s(self.capital_config)),
            web.get("/sapi/v1/margin/allPairs", s(self.margin_pairs)),
            web.post("/fapi/v1/listenKey", self._keyed(self.listen_key_post)),
            web.put("/fapi/v1/listenKey", self._keyed(self.listen_key_put)),
            web.delete("/fapi/v1/listenKey", self._keyed(self.listen_key_delete)),
        ]

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

    # --- public -------------------------------------------------------------------------------------
    async def ping(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({})

    async def time(self, request: web.Request) -> web.StreamResponse:
        return web.json_response({"serverTime": self.sim.now_ms()})

    async def exchange_info(self, request: web.Request) -> web.StreamResponse:
        symbols = []
        for sym, spec in self.sim.market.binance_specs.items():
            tick = fixed(10.0**-spec.price_decimals, spec.price_decimals)
            step = fixed(10.0**-spec.qty_decimals, spec.qty_decimals)
            symbols.append(
                {
                    "symbol": sym,
                    "pair": sym,
                    "contractType": "PERPETUAL",
                    "deliveryDate": _DELIVERY_MS,
                    "onboardDate": _ONBOARD_MS,
                    "status": "TRADING",
                    "maintMarginPercent": "2.5000",
                    "requiredMarginPercent": "5.0000",
                    "baseAsset": spec.base_asset,
                    "quoteAsset": "USDT",
                    "marginAsset": "USDT",
                    "pricePrecision": spec.price_decimals,
                    "quantityPrecision": spec.qty_decimals,
                    "baseAssetPrecision": 8,
                    "quotePrecision": 8,
                    "underlyingType": "COIN",
                    "underlyingSubType": [],
                    "triggerProtect": "0.0500",
                    "liquidationFee": "0.012500",
                    "marketTakeBound": "0.05",
                    "maxMoveOrderLimit": 10000,
                    "filters": [
                        {"filterType": "PRICE_FILTER", "minPrice": tick, "maxPrice": "10000000", "tickSize": tick},
                        {"filterType": "LOT_SIZE", "stepSize": step, "maxQty": "1000000", "minQty": step},
                        {"filterType": "MARKET_LOT_SIZE", "stepSize": step, "maxQty": "100000", "minQty": step},
                        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
                        {"filterType": "MAX_NUM_ALGO_ORDERS", "limit": 10},
                        {"filterType": "MIN_NOTIONAL", "notional": "5"},
                        {
                            "filterType": "PERCENT_PRICE",
                            "multiplierUp": "1.0500",
                            "multiplierDown": "0.9500",
                            "multiplierDecimal": "4",
                        },
                    ],
                    "orderTypes": [
                        "LIMIT",
                        "MARKET",
                        "STOP",
                        "STOP_MARKET",
                        "TAKE_PROFIT",
                        "TAKE_PROFIT_MARKET",
                        "TRAILING_STOP_MARKET",
                    ],
                    "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
                    "permissionSets": ["GRID", "COPY"],
                }
            )
        return web.json_response(
            {
                "timezone": "UTC",
                "serverTime": self.sim.now_ms(),
                "futuresType": "U_MARGINED",
                "rateLimits": [
                    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 2400},
                    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
                    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
                ],
                "exchangeFilters": [],
                "assets": [{"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-10000"}],
                "symbols": symbols,
            }
        )

    def premium_row(self, sym: str) -> Json:
        m = self.sim.binance_markets[sym]
        interest = 0.0001 * m.interval_s / (8 * 3600.0)
        return {
            "symbol": sym,
            "markPrice": fixed(m.mark, 8),
            "indexPrice": fixed(m.index, 8),
            "estimatedSettlePrice": fixed(m.index, 8),
            "lastFundingRate": fixed(m.funding_rate, 8),
            "interestRate": fixed(interest, 8),
            "nextFundingTime": self.sim.next_funding_ms(m),
            "time": self.sim.now_ms(),
        }

    async def premium_index(self, request: web.Request) -> web.StreamResponse:
        symbol = request.query.get("symbol")
        if symbol is not None:
            self._market(symbol)
            return web.json_response(self.premium_row(symbol))
        return web.json_response([self.premium_row(s) for s in self.sim.binance_markets])

    async def funding_info(self, request: web.Request) -> web.StreamResponse:
        # Binance lists only the symbols whose funding differs from the 8-hour default.
        rows = []
        for sym, spec in self.sim.market.binance_specs.items():
            if spec.funding_interval_hours != 8:
                rows.append(
                    {
                        "symbol": sym,
                        "adjustedFundingRateCap": "0.02000000",
                        "adjustedFundingRateFloor": "-0.02000000",
                        "fundingIntervalHours": spec.funding_interval_hours,
                        "disclaimer": False,
                    }
                )
        return web.json_response(rows)

    async def funding_rate_history(self, request: web.Request) -> web.StreamResponse:
        symbol = request.query.get("symbol")
        if symbol is not None:
            self._market(symbol)
        limit = min(int(request.query.get("limit", "100") or 100), 1000)
        rows = [
            {
                "symbol": f.symbol,
                "fundingTime": f.time_ms,
                "fundingRate": fixed(f.rate, 8),
                "markPrice": fixed(f.mark, 8),
            }
            for f in self.sim.settlement_log
            if f.venue == "binance" and (symbol is None or f.symbol == symbol)
        ]
        return web.json_response(rows[-limit:])

    async def mark_price_klines(self, request: web.Request) -> web.StreamResponse:
        """GET /fapi/v1/markPriceKlines: symbol and interval mandatory, startTime/endTime optional, limit
        default 500, max 1500 (Binance USDⓈ-M "Mark Price Kline/Candlestick Data"). Rows as Binance sends
        them: [open time, open, high, low, close, ignore, close time, ignore, count, ignore, ignore, ignore].
        The emulator serves the 1m and 1h intervals."""
        q = request.query
        for name in ("symbol", "interval"):
            if not q.get(name):
                raise BinanceError(400, -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or "
                                   "malformed.")
        m = self._market(q["symbol"])
        interval_ms = INTERVALS_MS.get(q["interval"])
        if interval_ms is None:
            raise BinanceError(400, -1120, "Invalid interval.")
        times: dict[str, int | None] = {}
        for name in ("startTime", "endTime", "limit"):
            text = q.get(name)
            if text is not None and not text.isdigit():
                raise BinanceError(400, -1100, f"Illegal characters found in parameter '{name}'; legal range is "
                                   "'^[0-9]{1,20}$'.")
            times[name] = int(text) if text is not None else None
        limit = times["limit"] if times["limit"] is not None else 500
        if not 1 <= limit <= 1500:
            raise BinanceError(400, -1130, "Data sent for parameter 'limit' is not valid.")
        rows = select(self.sim.candles.candles(m, interval_ms), times["startTime"], times["endTime"], limit)
        return web.json_response([
            [c.open_ms, fixed(c.open, 8), fixed(c.high, 8), fixed(c.low, 8), fixed(c.close, 8), "0",
             c.open_ms + interval_ms - 1, "0", c.count, "0", "0", "0"]
            for c in rows
        ])

    # --- signed -------------------------------------------------------------------------------------
    async def leverage_bracket(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        rows = []
        for sym in self._symbols(params):
            if sym in self.position_faults.no_bracket:
                continue
            table = self.sim.binance_markets[sym].tiers
            brackets = [
                {
                    "bracket": i + 1,
                    "initialLeverage": _num(t.max_leverage or 1),
                    "notionalCap": _num(t.cap),
                    "notionalFloor": _num(t.floor),
                    "maintMarginRatio": t.mmr,
                    "cum": float(t.maint_amount),
                }
                for i, t in enumerate(table.tiers)
            ]
            rows.append({"symbol": sym, "notionalCoef": 1.0, "brackets": brackets})
        if "symbol" in params and rows:
            return web.json_response(rows[0])
        return web.json_response(rows)

    def _position_numbers(self, account: BinanceAccount, p: BinancePosition) -> Json:
        m = self.sim.binance_markets[p.symbol]
        spec = self.sim.market.binance_specs[p.symbol]
        upnl = account.upnl(p, m.mark)
        liq = account.liquidation_price(p, self.sim.binance_markets)
        notional = p.qty * m.mark
        return {
            "positionAmt": fixed(p.qty, spec.qty_decimals),
            "entryPrice": trimmed(self.position_faults.entry("binance", p.symbol, p.entry), 8),
            "breakEvenPrice": trimmed(p.entry, 8),
            "markPrice": fixed(m.mark, 8),
            "unRealizedProfit": fixed(upnl, 8),
            "liquidationPrice": precise_price(liq) if liq is not None else "0",
            "isolatedMargin": fixed(p.isolated_wallet + upnl, 8) if p.isolated else "0",
            "notional": fixed(notional, 8),
            "isolatedWallet": fixed(p.isolated_wallet, 8) if p.isolated else "0",
            "initialMargin": fixed(account.im(p, m), 8),
            "maintMargin": fixed(account.mm(p, m), 8),
            "updateTime": p.update_ms,
        }

    def _max_notional(self, sym: str, leverage: int) -> str:
        caps = [t.cap for t in self.sim.binance_markets[sym].tiers.tiers if (t.max_leverage or 0) >= leverage]
        best = max(caps) if caps else 0.0
        return str(_num(best))

    def _empty_row(self, account: BinanceAccount, sym: str, side: PositionSide) -> Json:
        m = self.sim.binance_markets[sym]
        spec = self.sim.market.binance_specs[sym]
        return {
            "positionAmt": fixed(0.0, spec.qty_decimals),
            "entryPrice": "0.0",
            "breakEvenPrice": "0.0",
            "markPrice": fixed(m.mark, 8),
            "unRealizedProfit": "0.00000000",
            "liquidationPrice": "0",
            "isolatedMargin": "0.00000000",
            "notional": "0",
            "isolatedWallet": "0",
            "initialMargin": "0",
            "maintMargin": "0",
            "updateTime": 0,
        }

    def _rows(
        self, account: BinanceAccount, symbols: list[str], *, include_empty: bool
    ) -> list[tuple[Json, BinancePosition | None, str, PositionSide]]:
        out: list[tuple[Json, BinancePosition | None, str, PositionSide]] = []
        sides = [PositionSide.LONG, PositionSide.SHORT] if account.hedge else [PositionSide.BOTH]
        for sym in symbols:
            for side in sides:
                match = [p for p in account.positions if p.symbol == sym and (p.side is side)]
                if match:
                    out.append((self._position_numbers(account, match[0]), match[0], sym, side))
                elif include_empty:
                    out.append((self._empty_row(account, sym, side), None, sym, side))
        return out

    async def position_risk_v2(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        result = []
        for nums, p, sym, side in self._rows(account, self._symbols(params), include_empty=True):
            leverage = p.leverage if p is not None else account.leverage.get(sym, 20)
            isolated = p.isolated if p is not None else False
            result.append(
                {
                    "symbol": sym,
                    "positionAmt": nums["positionAmt"],
                    "entryPrice": nums["entryPrice"],
                    "breakEvenPrice": nums["breakEvenPrice"],
                    "markPrice": nums["markPrice"],
                    "unRealizedProfit": nums["unRealizedProfit"],
                    "liquidationPrice": nums["liquidationPrice"],
                    "leverage": str(leverage),
                    "maxNotionalValue": self._max_notional(sym, leverage),
                    "marginType": "isolated" if isolated else "cross",
                    "isolatedMargin": nums["isolatedMargin"],
                    "isAutoAddMargin": "false",
                    "positionSide": side.value,
                    "notional": nums["notional"],
                    "isolatedWallet": nums["isolatedWallet"],
                    "updateTime": nums["updateTime"],
                }
            )
        return web.json_response(result)

    async def position_risk_v3(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        result = []
        for nums, _p, sym, side in self._rows(account, self._symbols(params), include_empty=False):
            result.append(
                {
                    "symbol": sym,
                    "positionSide": side.value,
                    "positionAmt": nums["positionAmt"],
                    "entryPrice": nums["entryPrice"],
                    "breakEvenPrice": nums["breakEvenPrice"],
                    "markPrice": nums["markPrice"],
                    "unRealizedProfit": nums["unRealizedProfit"],
                    "liquidationPrice": nums["liquidationPrice"],
                    "isolatedMargin": nums["isolatedMargin"],
                    "notional": nums["notional"],
                    "marginAsset": "USDT",
                    "isolatedWallet": nums["isolatedWallet"],
                    "initialMargin": nums["initialMargin"],
                    "maintMargin": nums["maintMargin"],
                    "positionInitialMargin": nums["initialMargin"],
                    "openOrderInitialMargin": "0",
                    "adl": 1,
                    "bidNotional": "0",
                    "askNotional": "0",
                    "updateTime": nums["updateTime"],
                }
            )
        return web.json_response(result)

    def account_totals(self, account: BinanceAccount) -> Json:
        markets = self.sim.binance_markets
        upnl = sum(account.upnl(p, markets[p.symbol].mark) for p in account.positions)
        cross_upnl = sum(account.upnl(p, markets[p.symbol].mark) for p in account.positions if not p.isolated)
        im = sum(account.im(p, markets[p.symbol]) for p in account.positions)
        cross_im = sum(account.im(p, markets[p.symbol]) for p in account.positions if not p.isolated)
        mm = sum(account.mm(p, markets[p.symbol]) for p in account.positions)
        wallet = account.wallet_balance()
        available = max(0.0, account.cross_wallet + cross_upnl - cross_im)
        return {
            "wallet": wallet,
            "upnl": upnl,
            "cross_upnl": cross_upnl,
            "im": im,
            "mm": mm,
            "available": available,
        }

    def _account_body(self, account: BinanceAccount, *, v2: bool) -> Json:
        t = self.account_totals(account)
        now = self.sim.now_ms()
        asset: Json = {
            "asset": "USDT",
            "walletBalance": fixed(t["wallet"], 8),
            "unrealizedProfit": fixed(t["upnl"], 8),
            "marginBalance": fixed(t["wallet"] + t["upnl"], 8),
            "maintMargin": fixed(t["mm"], 8),
            "initialMargin": fixed(t["im"], 8),
            "positionInitialMargin": fixed(t["im"], 8),
            "openOrderInitialMargin": "0.00000000",
            "crossWalletBalance": fixed(account.cross_wallet, 8),
            "crossUnPnl": fixed(t["cross_upnl"], 8),
            "availableBalance": fixed(t["available"], 8),
            "maxWithdrawAmount": fixed(t["available"], 8),
            "updateTime": now,
        }
        body: Json = {
            "totalInitialMargin": fixed(t["im"], 8),
            "totalMaintMargin": fixed(t["mm"], 8),
            "totalWalletBalance": fixed(t["wallet"], 8),
            "totalUnrealizedProfit": fixed(t["upnl"], 8),
            "totalMarginBalance": fixed(t["wallet"] + t["upnl"], 8),
            "totalPositionInitialMargin": fixed(t["im"], 8),
            "totalOpenOrderInitialMargin": "0.00000000",
            "totalCrossWalletBalance": fixed(account.cross_wallet, 8),
            "totalCrossUnPnl": fixed(t["cross_upnl"], 8),
            "availableBalance": fixed(t["available"], 8),
            "maxWithdrawAmount": fixed(t["available"], 8),
        }
        positions = []
        for nums, p, sym, side in self._rows(account, list(self.sim.binance_markets), include_empty=v2):
            row: Json = {
                "symbol": sym,
                "positionSide": side.value,
                "positionAmt": nums["positionAmt"],
                "unrealizedProfit": nums["unRealizedProfit"],
                "isolatedMargin": nums["isolatedMargin"],
                "notional": nums["notional"],
                "isolatedWallet": nums["isolatedWallet"],
                "initialMargin": nums["initialMargin"],
                "maintMargin": nums["maintMargin"],
                "updateTime": nums["updateTime"],
            }
            if v2:
                leverage = p.leverage if p is not None else account.leverage.get(sym, 20)
                row.update(
                    {
                        "leverage": str(leverage),
                        "entryPrice": nums["entryPrice"],
                        "breakEvenPrice": nums["breakEvenPrice"],
                        "maxNotional": self._max_notional(sym, leverage),
                        "positionInitialMargin": nums["initialMargin"],
                        "openOrderInitialMargin": "0",
                        "isolated": bool(p is not None and p.isolated),
                        "bidNotional": "0",
                        "askNotional": "0",
                    }
                )
            positions.append(row)
        if v2:
            asset["marginAvailable"] = True
            body.update(
                {
                    "feeTier": 0,
                    "feeBurn": False,
                    "canTrade": True,
                    "canDeposit": True,
                    "canWithdraw": True,
                    "updateTime": 0,
                    "multiAssetsMargin": account.spec.multi_assets_margin,
                    "tradeGroupId": -1,
                }
            )
        body["assets"] = [asset]
        body["positions"] = positions
        return body

    async def account_v2(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        return web.json_response(self._account_body(account, v2=True))

    async def account_v3(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        return web.json_response(self._account_body(account, v2=False))

    async def balance(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        t = self.account_totals(account)
        return web.json_response(
            [
                {
                    "accountAlias": "SgsR",
                    "asset": "USDT",
                    "balance": fixed(t["wallet"], 8),
                    "crossWalletBalance": fixed(account.cross_wallet, 8),
                    "crossUnPnl": fixed(t["cross_upnl"], 8),
                    "availableBalance": fixed(t["available"], 8),
                    "maxWithdrawAmount": fixed(t["available"], 8),
                    "marginAvailable": True,
                    "updateTime": self.sim.now_ms(),
                }
            ]
        )

    async def income(self, request: web.Request, account: BinanceAccount, params: dict[str, str]) -> web.StreamResponse:
        symbol = params.get("symbol")
        if symbol is not None:
            self._market(symbol)
        kind = params.get("incomeType")
        start = int(params["startTime"]) if params.get("startTime", "").isdigit() else None
        end = int(params["endTime"]) if params.get("endTime", "").isdigit() else None
        limit_text = params.get("limit", "100")
        limit = min(int(limit_text), 1000) if limit_text.isdigit() and int(limit_text) > 0 else 100
        records = [
            r
            for r in account.income
            if (symbol is None or r.symbol == symbol)
            and (kind is None or r.income_type == kind)
            and (start is None or r.time_ms >= start)
            and (end is None or r.time_ms <= end)
        ]
        records = records[:limit] if start is not None else records[-limit:]
        return web.json_response(
            [
                {
                    "symbol": r.symbol,
                    "incomeType": r.income_type,
                    "income": fixed(r.amount, 8),
                    "asset": r.asset,
                    "info": r.info,
                    "time": r.time_ms,
                    "tranId": r.tran_id,
                    "tradeId": r.trade_id,
                }
                for r in records
            ]
        )


    async def multi_assets_margin(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        return web.json_response({"multiAssetsMargin": account.spec.multi_assets_margin})


    async def force_orders(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        if params.get("symbol") is not None:
            self._market(params["symbol"])
        return web.json_response(force_orders(self.sim, account, params))


    async def api_restrictions(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        spec = account.spec
        return web.json_response(
            {
                "ipRestrict": spec.ip_restrict,
                "createTime": _ONBOARD_MS,
                "enableInternalTransfer": False,
                "enableFutures": spec.enable_futures and not spec.portfolio_margin,
                "enablePortfolioMarginTrading": spec.portfolio_margin,
                "enableVanillaOptions": False,
                "permitsUniversalTransfer": False,
                "enableReading": True,
                "enableSpotAndMarginTrading": spec.enable_spot_and_margin_trading,
                "enableWithdrawals": spec.enable_withdrawals,
                "enableMargin": False,
            }
        )

    async def capital_config(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        # ccxt asks for this on load_markets when keys are set (unless options.fetchCurrencies is False).
        assets = ["USDT", *(spec.base_asset for spec in self.sim.market.binance_specs.values())]
        return web.json_response(
            [
                {
                    "coin": coin,
                    "name": coin,
                    "free": "0",
                    "locked": "0",
                    "freeze": "0",
                    "withdrawing": "0",
                    "ipoing": "0",
                    "ipoable": "0",
                    "storage": "0",
                    "isLegalMoney": False,
                    "trading": True,
                    "depositAllEnable": False,
                    "withdrawAllEnable": False,
                    "networkList": [],
                }
                for coin in assets
            ]
        )

    async def margin_pairs(
        self, request: web.Request, account: BinanceAccount, params: dict[str, str]
    ) -> web.StreamResponse:
        # Also asked for by ccxt's fetch_currencies; a futures-only emulator lists no spot margin pairs.
        return web.json_response([])

    # --- listenKey (API key only, no signature) ----------------------------------------------------
    async def listen_key_post(self, request: web.Request, account: BinanceAccount) -> web.StreamResponse:
        return web.json_response({"listenKey": self.listen_keys.create(account.name)})

    async def listen_key_put(self, request: web.Request, account: BinanceAccount) -> web.StreamResponse:
        return web.json_response({"listenKey": self.listen_keys.keepalive(account.name)})

    async def listen_key_delete(self, request: web.Request, account: BinanceAccount) -> web.StreamResponse:
        key = self.listen_keys.delete(account.name)
        if key is not None:
            await self._on_deleted(key)
        return web.json_response({})
