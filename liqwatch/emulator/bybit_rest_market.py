"""Bybit v5 public market data at its real paths (``/v5/market/...``), category ``linear`` served from the
simulation; the spot, inverse and option categories ccxt also asks for answer with empty lists."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from liqwatch.emulator.bybit_auth import PARAMS_ERROR, BybitError
from liqwatch.emulator.candles import INTERVALS_MS, Candle
from liqwatch.emulator.fmt import fixed, trimmed
from liqwatch.emulator.market import SimMarket
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]
_LAUNCH_MS = "1585526400000"
#: Bybit kline intervals (minutes, or D/W/M) the emulator has candles for.
_INTERVALS = {"1": INTERVALS_MS["1m"], "60": INTERVALS_MS["1h"]}
CATEGORIES = ("linear", "spot", "inverse", "option")


class BybitMarketRoutes:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def _category(self, request: web.Request) -> str:
        category = request.query.get("category", "")
        if category not in CATEGORIES:
            raise BybitError(PARAMS_ERROR, "Illegal category")
        return category

    def _markets(self, request: web.Request) -> list[SimMarket]:
        symbol = request.query.get("symbol")
        if symbol is None:
            return list(self.sim.market.bybit.values())
        market = self.sim.market.bybit.get(symbol)
        if market is None:
            raise BybitError(PARAMS_ERROR, "params error: symbol invalid")
        return [market]

    async def server_time(self, request: web.Request) -> Json:
        ms = self.sim.now_ms()
        return {"timeSecond": str(ms // 1000), "timeNano": str(ms * 1_000_000)}

    async def instruments(self, request: web.Request) -> Json:
        category = self._category(request)
        if category != "linear":
            return {"category": category, "list": [], "nextPageCursor": ""}
        rows = []
        for m in self._markets(request):
            spec = self.sim.market.bybit_specs[m.symbol]
            top = spec.tier_rows()[-1]
            rows.append({
                "symbol": m.symbol, "contractType": "LinearPerpetual", "status": "Trading",
                "baseCoin": spec.base_coin, "quoteCoin": "USDT", "settleCoin": "USDT",
                "launchTime": _LAUNCH_MS, "deliveryTime": "0", "deliveryFeeRate": "",
                "priceScale": str(spec.price_decimals),
                "leverageFilter": {"minLeverage": "1", "maxLeverage": trimmed(spec.tier_rows()[0][3], 2),
                                   "leverageStep": "0.01"},
                "priceFilter": {"minPrice": trimmed(spec.min_price, 8), "maxPrice": fixed(spec.max_price, 2),
                                "tickSize": trimmed(spec.tick_size, 8)},
                "lotSizeFilter": {"maxOrderQty": "1190.000", "minOrderQty": trimmed(spec.qty_step, 8),
                                  "qtyStep": trimmed(spec.qty_step, 8), "postOnlyMaxOrderQty": "1190.000",
                                  "maxMktOrderQty": "500.000", "minNotionalValue": "5"},
                "unifiedMarginTrade": True, "fundingInterval": spec.funding_interval_hours * 60,
                "copyTrading": "both", "upperFundingRate": "0.005", "lowerFundingRate": "-0.005",
                "isPreListing": False, "preListingInfo": None, "riskParameters": {"priceLimitRatioX": "0.01",
                                                                                 "priceLimitRatioY": "0.02"},
                "displayName": "", "symbolType": "", "maxRiskLimitValue": fixed(top[1], 0),
            })
        return {"category": "linear", "list": rows, "nextPageCursor": ""}

    def ticker(self, m: SimMarket) -> Json:
        """One linear ticker as ``market/tickers`` and the ``tickers.<symbol>`` snapshot carry it."""
        next_ms = self.sim.next_funding_ms(m)
        p = self.sim.market.bybit_specs[m.symbol].price_decimals
        mark = fixed(m.mark, p)
        return {
            "symbol": m.symbol, "lastPrice": mark, "indexPrice": fixed(m.index, p), "markPrice": mark,
            "prevPrice24h": mark, "price24hPcnt": "0", "highPrice24h": mark, "lowPrice24h": mark,
            "prevPrice1h": mark, "openInterest": "1000", "openInterestValue": fixed(1000 * m.mark, 2),
            "turnover24h": "0", "volume24h": "0", "fundingRate": fixed(m.funding_rate, 8),
            "nextFundingTime": str(next_ms), "predictedDeliveryPrice": "", "basisRate": "", "deliveryFeeRate": "",
            "deliveryTime": "0", "ask1Size": "1", "bid1Price": mark, "ask1Price": mark, "bid1Size": "1",
            "basis": "", "fundingIntervalHour": str(int(m.interval_s // 3600)), "fundingCap": "0.005",
        }

    async def tickers(self, request: web.Request) -> Json:
        category = self._category(request)
        if category != "linear":
            return {"category": category, "list": []}
        return {"category": "linear", "list": [self.ticker(m) for m in self._markets(request)]}

    async def risk_limit(self, request: web.Request) -> Json:
        self._category(request)
        rows = []
        for m in self._markets(request):
            spec = self.sim.market.bybit_specs[m.symbol]
            for i, (tier, (_, cap, _, lev)) in enumerate(zip(m.tiers.tiers, spec.tier_rows(), strict=True)):
                rows.append({
                    "id": i + 1, "symbol": m.symbol, "riskLimitValue": fixed(cap, 0),
                    "maintenanceMargin": trimmed(tier.mmr, 6), "initialMargin": trimmed(1.0 / lev, 6),
                    "isLowestRisk": 1 if i == 0 else 0, "maxLeverage": fixed(lev, 2),
                    "mmDeduction": trimmed(tier.maint_amount, 6) if tier.maint_amount else "",
                })
        return {"category": "linear", "list": rows, "nextPageCursor": ""}

    async def funding_history(self, request: web.Request) -> Json:
        self._category(request)
        symbol = request.query.get("symbol")
        if not symbol or symbol not in self.sim.market.bybit:
            raise BybitError(PARAMS_ERROR, "params error: symbol invalid")
        limit = _int(request.query.get("limit"), 200)
        rows = [
            {"symbol": r.symbol, "fundingRate": fixed(r.rate, 8), "fundingRateTimestamp": str(r.time_ms)}
            for r in reversed(self.sim.settlement_log) if r.symbol == symbol and r.venue.value == "bybit"
        ]
        return {"category": "linear", "list": rows[: max(1, min(limit, 200))]}

    async def mark_price_kline(self, request: web.Request) -> Json:
        self._category(request)
        markets = self._markets(request)
        interval_ms = _INTERVALS.get(request.query.get("interval", ""))
        if interval_ms is None or "symbol" not in request.query:
            raise BybitError(PARAMS_ERROR, "params error: interval or symbol invalid")
        m = markets[0]
        start, end = request.query.get("start"), request.query.get("end")
        limit = max(1, min(_int(request.query.get("limit"), 200), 1000))
        series = self.sim.candles.series(m, interval_ms)
        rows = series.select(_int(start, None), _int(end, None), limit)
        p = self.sim.market.bybit_specs[m.symbol].price_decimals

        def row(c: Candle) -> list[str]:
            return [str(c.open_ms), fixed(c.open, p), fixed(c.high, p), fixed(c.low, p), fixed(c.close, p)]

        # Bybit lists klines newest first.
        return {"category": "linear", "symbol": m.symbol, "list": series.formatted(reversed(rows), "bybit", row)}


def _int(text: str | None, default: int | None) -> Any:
    if text is None:
        return default
    if not text.isdigit():
        raise BybitError(PARAMS_ERROR, "params error: not a number")
    return int(text)
