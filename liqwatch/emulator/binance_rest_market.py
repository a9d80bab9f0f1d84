"""Binance USDⓈ-M REST, the public market data: ping, time, exchangeInfo, premiumIndex, fundingInfo,
funding rate history, mark-price klines, and the (signed) leverage brackets."""

from __future__ import annotations

from aiohttp import web

from liqwatch.emulator.accounts import BinanceAccount
from liqwatch.emulator.binance_auth import BinanceError
from liqwatch.emulator.binance_rest_base import _DELIVERY_MS, _ONBOARD_MS, BinanceRestBase, Json, _num
from liqwatch.emulator.candles import INTERVALS_MS, Candle
from liqwatch.emulator.fmt import fixed


class MarketDataRoutes(BinanceRestBase):
    """Handlers of the market-data endpoints."""

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
        series = self.sim.candles.series(m, interval_ms)

        def row_json(c: Candle) -> str:
            # json.dumps([open time, open, high, low, close, "0", close time, "0", count, "0", "0", "0"]) exactly:
            # ints print as repr, and the prices are decimal strings with nothing JSON would escape.
            return (f'[{c.open_ms}, "{fixed(c.open, 8)}", "{fixed(c.high, 8)}", "{fixed(c.low, 8)}", '
                    f'"{fixed(c.close, 8)}", "0", {c.open_ms + interval_ms - 1}, "0", {c.count}, "0", "0", "0"]')

        rows = series.select(times["startTime"], times["endTime"], limit)
        # The body is json.dumps of the rows' list, joined from each row's JSON (as json.dumps joins a list's
        # items) so that a history row is encoded once, not on every request.
        texts = series.formatted(rows, "binance-json", row_json)
        return web.Response(text="[" + ", ".join(texts) + "]", content_type="application/json")

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

