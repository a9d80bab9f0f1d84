"""Binance USDⓈ-M REST, the account's state: positionRisk (v2, v3), account (v2, v3) and balance, with
Binance's own figures (unrealized PnL, margins, liquidation price) from the simulation."""

from __future__ import annotations

from aiohttp import web

from liqwatch.emulator.account_records import break_even
from liqwatch.emulator.accounts import BinanceAccount, BinancePosition, PositionSide
from liqwatch.emulator.binance_rest_base import BinanceRestBase, Json, _num
from liqwatch.emulator.fmt import fixed, precise_price, trimmed


class AccountRoutes(BinanceRestBase):
    """Handlers of the account-state endpoints."""

    def _position_numbers(self, account: BinanceAccount, p: BinancePosition) -> Json:
        m = self.sim.binance_markets[p.symbol]
        spec = self.sim.market.binance_specs[p.symbol]
        upnl = account.upnl(p, m.mark)
        liq = account.liquidation_price(p, self.sim.binance_markets)
        notional = p.qty * m.mark
        return {
            "positionAmt": fixed(p.qty, spec.qty_decimals),
            "entryPrice": trimmed(self.position_faults.entry("binance", p.symbol, p.entry), 8),
            "breakEvenPrice": trimmed(break_even(p), 8),
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

