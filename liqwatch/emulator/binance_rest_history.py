"""Binance USDⓈ-M REST, the account's history and settings: income, forceOrders, the account-mode reads
(multiAssetsMargin, apiRestrictions, the spot wallet's capital/margin reads) and the listen key."""

from __future__ import annotations

from aiohttp import web

from liqwatch.emulator.accounts import BinanceAccount
from liqwatch.emulator.binance_history import force_orders
from liqwatch.emulator.binance_rest_base import _ONBOARD_MS, BinanceRestBase
from liqwatch.emulator.fmt import fixed


class HistoryRoutes(BinanceRestBase):
    """Handlers of the history, account-mode and listen-key endpoints."""

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
                "enableInternalTransfer": spec.enable_internal_transfer,
                "enableFutures": spec.enable_futures and not spec.portfolio_margin,
                "enablePortfolioMarginTrading": spec.portfolio_margin,
                "enableVanillaOptions": False,
                "enableFixApiTrade": False,
                "enableFixReadOnly": False,
                "permitsUniversalTransfer": spec.permits_universal_transfer,
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
