"""Binance USDⓈ-M REST at its real paths, with Binance's payload shapes, string numbers and error codes.

The route table; the handlers live by area in ``binance_rest_market`` (public market data),
``binance_rest_account`` (positions, account, balance) and ``binance_rest_history`` (income, liquidation
orders, account modes, listen key), on the plumbing of ``binance_rest_base``.
"""

from __future__ import annotations

from aiohttp import web

from liqwatch.emulator.binance_rest_account import AccountRoutes
from liqwatch.emulator.binance_rest_base import invalid_symbol
from liqwatch.emulator.binance_rest_history import HistoryRoutes
from liqwatch.emulator.binance_rest_market import MarketDataRoutes

__all__ = ["BinanceRest", "invalid_symbol"]


class BinanceRest(MarketDataRoutes, AccountRoutes, HistoryRoutes):

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

