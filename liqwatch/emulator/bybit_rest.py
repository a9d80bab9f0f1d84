"""Bybit v5 REST at its real paths: the route table, and the private (signed) handlers of a UTA.

Public market data lives in ``bybit_rest_market``, the payload shapes in ``bybit_payloads``, the envelope and
the ``X-BAPI-*`` checks in ``bybit_auth``. Endpoints stock ccxt asks for that have nothing to say about linear
perpetuals (other categories, spot coins) answer as Bybit does for an account without them: empty lists.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from liqwatch.emulator.bybit_account import BybitAccount
from liqwatch.emulator.bybit_auth import PARAMS_ERROR, BybitError, private, public
from liqwatch.emulator.bybit_payloads import BybitPayloads
from liqwatch.emulator.bybit_rest_market import CATEGORIES, BybitMarketRoutes
from liqwatch.emulator.fmt import fixed, trimmed
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]
_PERMISSIONS_READ = {"ContractTrade": ["Order", "Position"], "Spot": ["SpotTrade"], "Wallet": ["AccountTransfer"],
                     "Options": ["OptionsTrade"], "Derivatives": ["DerivativesTrade"], "CopyTrading": [],
                     "BlockTrade": [], "Exchange": [], "NFT": [], "Affiliate": [], "Earn": []}


class BybitRest:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim
        self.market = BybitMarketRoutes(sim)
        self.payloads = BybitPayloads(sim)

    def routes(self) -> list[web.RouteDef]:
        now = self.sim.now_ms
        m = self.market

        def pub(handler: Any) -> Any:
            return public(handler, now)

        def prv(handler: Any) -> Any:
            return private(handler, lambda: self.sim.bybit_by_key, now)

        return [
            web.get("/v5/market/time", pub(m.server_time)),
            web.get("/v5/market/instruments-info", pub(m.instruments)),
            web.get("/v5/market/tickers", pub(m.tickers)),
            web.get("/v5/market/risk-limit", pub(m.risk_limit)),
            web.get("/v5/market/funding/history", pub(m.funding_history)),
            web.get("/v5/market/mark-price-kline", pub(m.mark_price_kline)),
            web.get("/v5/position/list", prv(self.position_list)),
            web.get("/v5/position/closed-pnl", prv(self.closed_pnl)),
            web.get("/v5/execution/list", prv(self.execution_list)),
            web.get("/v5/account/wallet-balance", prv(self.wallet_balance)),
            web.get("/v5/account/info", prv(self.account_info)),
            web.get("/v5/account/fee-rate", prv(self.fee_rate)),
            web.get("/v5/account/collateral-info", prv(self.collateral_info)),
            web.get("/v5/account/transaction-log", prv(self.transaction_log)),
            web.get("/v5/user/query-api", prv(self.query_api)),
            web.get("/v5/asset/coin/query-info", prv(self.coin_info)),
        ]

    @staticmethod
    def _linear(request: web.Request) -> str:
        category = request.query.get("category", "")
        if category not in CATEGORIES:
            raise BybitError(PARAMS_ERROR, "Illegal category")
        return category

    async def position_list(self, request: web.Request, account: BybitAccount) -> Json:
        category = self._linear(request)
        symbol = request.query.get("symbol")
        if category != "linear":
            return {"category": category, "list": [], "nextPageCursor": ""}
        if symbol is None and request.query.get("settleCoin") is None:
            raise BybitError(PARAMS_ERROR, "params error: symbol or settleCoin is required")
        rows = [self.payloads.position(account, p) for p in account.positions if symbol in (None, p.symbol)]
        return {"category": "linear", "list": rows, "nextPageCursor": ""}

    async def closed_pnl(self, request: web.Request, account: BybitAccount) -> Json:
        self._linear(request)
        rows = []
        for e in reversed(account.executions):
            if e.exec_type != "BustTrade":
                continue
            rows.append({
                "symbol": e.symbol, "orderId": e.exec_id, "side": e.side, "qty": trimmed(e.qty, 8),
                "orderPrice": trimmed(e.price, 8), "orderType": "Market", "execType": "BustTrade",
                "closedSize": trimmed(e.qty, 8), "avgEntryPrice": "", "avgExitPrice": trimmed(e.price, 8),
                "closedPnl": "", "fillCount": "1", "leverage": "", "createdTime": str(e.time_ms),
                "updatedTime": str(e.time_ms), "cumEntryValue": "", "cumExitValue": fixed(e.qty * e.price, 8),
            })
        return {"category": "linear", "list": rows, "nextPageCursor": ""}

    async def execution_list(self, request: web.Request, account: BybitAccount) -> Json:
        category = self._linear(request)
        if category != "linear":
            return {"category": category, "list": [], "nextPageCursor": ""}
        q = request.query
        wanted, symbol, start_text = q.get("execType"), q.get("symbol"), q.get("startTime", "")
        start = int(start_text) if start_text.isdigit() else 0
        rows = [self.payloads.execution(e) for e in reversed(account.executions)
                if wanted in (None, e.exec_type) and symbol in (None, e.symbol) and e.time_ms >= start]
        return {"category": "linear", "list": rows[:100], "nextPageCursor": ""}

    async def wallet_balance(self, request: web.Request, account: BybitAccount) -> Json:
        kind = request.query.get("accountType")
        if kind != "UNIFIED":
            raise BybitError(PARAMS_ERROR, "accountType only support UNIFIED.")
        return {"list": [self.payloads.wallet(account)]}

    async def account_info(self, request: web.Request, account: BybitAccount) -> Json:
        # unifiedMarginStatus 5: UTA 2.0, whose margin mode is the account's: REGULAR_MARGIN (cross) or
        # ISOLATED_MARGIN (positions' tradeMode is deprecated there and always 0).
        mode = "ISOLATED_MARGIN" if account.spec.isolated else "REGULAR_MARGIN"
        return {"unifiedMarginStatus": 5, "marginMode": mode, "isMasterTrader": False,
                "spotHedgingStatus": "OFF", "updatedTime": str(self.sim.now_ms()), "dcpStatus": "OFF",
                "timeWindow": 10, "smpGroup": 0}

    async def fee_rate(self, request: web.Request, account: BybitAccount) -> Json:
        category = self._linear(request)
        taker, maker = trimmed(account.taker, 8), trimmed(0.0002, 8)
        rows = [{"symbol": s, "baseCoin": "", "takerFeeRate": taker, "makerFeeRate": maker}
                for s in self.sim.market.bybit if category == "linear"]
        return {"category": category, "list": rows}

    async def collateral_info(self, request: web.Request, account: BybitAccount) -> Json:
        rows = [{
            "currency": "USDT", "hourlyBorrowRate": trimmed(account.spec.hourly_borrow_rate, 10),
            "maxBorrowingAmount": "1000000", "freeBorrowingLimit": "0", "freeBorrowAmount": "0",
            "borrowAmount": fixed(account.borrow(), 8), "otherBorrowAmount": "0", "availableToBorrow": "100000",
            "borrowable": True, "freeBorrowingAmount": "", "borrowUsageRate": "0", "marginCollateral": True,
            "collateralSwitch": True, "collateralRatio": "1",
        }]
        rows.extend({
                "currency": c.coin, "hourlyBorrowRate": "0.0000015", "maxBorrowingAmount": "100",
                "freeBorrowingLimit": "0", "freeBorrowAmount": "0", "borrowAmount": "0", "otherBorrowAmount": "0",
                "availableToBorrow": "10", "borrowable": True, "freeBorrowingAmount": "", "borrowUsageRate": "0",
                "marginCollateral": True, "collateralSwitch": True, "collateralRatio": trimmed(c.ratio, 4),
            } for c in account.collateral)
        return {"list": rows}

    async def transaction_log(self, request: web.Request, account: BybitAccount) -> Json:
        wanted = request.query.get("type")
        rows = [{
            "id": t.id, "symbol": t.symbol, "category": "linear" if t.symbol else "", "side": "None",
            "transactionTime": str(t.time_ms), "type": t.kind, "qty": "0", "size": "0", "currency": "USDT",
            "tradePrice": "0", "funding": fixed(t.funding, 8), "fee": fixed(t.fee, 8),
            "cashFlow": fixed(t.cash_flow, 8), "change": fixed(t.cash_flow, 8), "cashBalance": "",
            "feeRate": "", "bonusChange": "", "tradeId": "", "orderId": "", "orderLinkId": "",
        } for t in reversed(account.transactions) if wanted in (None, t.kind)]
        return {"list": rows[:50], "nextPageCursor": ""}

    async def query_api(self, request: web.Request, account: BybitAccount) -> Json:
        spec = account.spec
        permissions = {k: [] for k in _PERMISSIONS_READ} if spec.read_only else _PERMISSIONS_READ
        return {
            "id": "13", "note": spec.name, "apiKey": spec.api_key, "readOnly": 1 if spec.read_only else 0,
            "secret": "", "permissions": permissions, "ips": ["127.0.0.1"] if spec.ip_bound else ["*"],
            "type": 1, "deadlineDay": -1 if spec.ip_bound else 83, "expiredAt": "", "createdAt": "2026-01-01T00:00:00Z",
            "unified": 0, "uta": 1, "userID": 10013, "inviterID": 0, "vipLevel": "No VIP", "mktMakerLevel": "0",
            "affiliateID": 0, "rsaPublicKey": "", "isMaster": True, "parentUid": "0", "kycLevel": "LEVEL_DEFAULT",
            "kycRegion": "",
        }

    async def coin_info(self, request: web.Request, account: BybitAccount) -> Json:
        coins = ["USDT", *(c.coin for c in account.collateral)]
        return {"rows": [{"name": c, "coin": c, "remainAmount": "150000", "chains": []} for c in coins]}
