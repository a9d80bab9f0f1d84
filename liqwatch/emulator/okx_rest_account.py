"""OKX v5's private REST (signed): balance with liabilities and interest, positions, positions history,
account config, bills, interest, currencies. Every handler authenticates first (``okx_auth``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from liqwatch.emulator.fmt import trimmed
from liqwatch.emulator.okx_account import OkxAccount, OkxPosition
from liqwatch.emulator.okx_auth import authenticate, ok
from liqwatch.emulator.okx_rest_public import px
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]
Handler = Callable[[web.Request, OkxAccount], Awaitable[web.Response]]


def num(value: float, decimals: int = 8) -> str:
    return trimmed(value, decimals).removesuffix(".0")


class OkxAccountRest:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def routes(self) -> list[web.RouteDef]:
        table: dict[str, Handler] = {
            "/api/v5/account/balance": self.balance,
            "/api/v5/account/positions": self.positions,
            "/api/v5/account/positions-history": self.positions_history,
            "/api/v5/account/config": self.config,
            "/api/v5/account/bills": self.bills,
            "/api/v5/account/interest-accrued": self.interest_accrued,
            "/api/v5/account/interest-rate": self.interest_rate,
            "/api/v5/asset/currencies": self.currencies,
        }
        return [web.get(path, self._signed(handler)) for path, handler in table.items()]

    def _signed(self, handler: Handler) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def run(request: web.Request) -> web.Response:
            account = await authenticate(request, self.sim.okx.by_key, self.sim.now_ms)
            if isinstance(account, web.Response):
                return account
            return await handler(request, account)
        return run

    # --- payloads (also pushed on the private websocket) ----------------------------------------------
    def balance_row(self, a: OkxAccount) -> Json:
        markets = self.sim.okx.markets
        now = str(self.sim.now_ms())
        details = []
        cross_upl = a.cross_upl(markets)
        iso = {p.inst_id: a.isolated_equity(p, markets[p.inst_id]) for p in a.positions if p.isolated}
        for ccy, cash in sorted(a.balances.items()):
            price = self.sim.okx.price_of(ccy)
            upl = cross_upl if ccy == "USDT" else 0.0
            iso_eq = sum(iso.values()) if ccy == "USDT" else 0.0
            liab = a.liabilities.get(ccy, 0.0)
            interest = a.interest.get(ccy, 0.0)
            eq = cash + upl + iso_eq - liab - interest
            details.append({
                "availBal": num(cash), "availEq": num(cash + upl - liab - interest), "borrowFroz": "",
                "cashBal": num(cash), "ccy": ccy, "crossLiab": num(liab) if a.multi else "",
                "disEq": num(a.discounted(ccy, cash)), "eq": num(eq), "eqUsd": num(eq * price),
                "fixedBal": "0", "frozenBal": num(iso_eq), "interest": num(interest) if a.multi else "",
                "isoEq": num(iso_eq), "isoLiab": "", "isoUpl": num(sum(a.upl(p, markets[p.inst_id].mark)
                                                                       for p in a.positions if p.isolated)),
                "liab": num(liab) if a.multi else "", "maxLoan": "", "mgnRatio": "", "notionalLever": "",
                "ordFrozen": "0", "spotInUseAmt": "", "stgyEq": "0", "twap": "0", "uTime": now,
                "upl": num(upl), "uplLiab": "",
            })
        ratio = a.account_ratio(markets)
        return {
            "adjEq": num(a.adjusted_equity(markets)) if a.multi else "", "borrowFroz": "", "details": details,
            "imr": num(sum(abs(p.qty) * markets[p.inst_id].mark / p.leverage for p in a.positions
                           if not p.isolated)),
            "isoEq": num(sum(iso.values())), "mgnRatio": num(ratio, 10) if ratio is not None else "",
            "mmr": num(a.cross_mm(markets)), "notionalUsd": num(sum(abs(p.qty) * markets[p.inst_id].mark
                                                                    for p in a.positions)),
            "ordFroz": "0", "totalEq": num(a.total_equity(markets)), "uTime": now,
            "upl": num(cross_upl + sum(a.upl(p, markets[p.inst_id].mark) for p in a.positions if p.isolated)),
        }

    def position_row(self, a: OkxAccount, p: OkxPosition) -> Json:
        markets = self.sim.okx.markets
        m = markets[p.inst_id]
        liq = self.sim.okx.liquidation_price(a, p)
        ratio = a.position_ratio(p, markets)
        notional = abs(p.qty) * m.mark
        upl = a.upl(p, m.mark)
        margin = p.isolated_margin if p.isolated else notional / p.leverage
        return {
            "adl": "1", "availPos": num(abs(p.pos)) if p.isolated else "", "avgPx": px(p.entry),
            "bePx": px(p.entry), "cTime": str(p.open_ms), "ccy": "USDT", "deltaBS": "", "deltaPA": "",
            "fee": "0", "fundingFee": num(p.funding_fee), "gammaBS": "", "gammaPA": "", "idxPx": px(m.index),
            "imr": "" if p.isolated else num(notional / p.leverage), "instId": p.inst_id, "instType": "SWAP",
            "interest": "", "last": px(m.mark), "lever": str(p.leverage), "liab": "", "liabCcy": "",
            "liqPenalty": "0", "liqPx": px(liq) if liq is not None else "", "margin": num(p.isolated_margin)
            if p.isolated else "", "markPx": px(m.mark), "mgnMode": "isolated" if p.isolated else "cross",
            "mgnRatio": num(ratio, 10) if ratio is not None else "", "mmr": num(a.mm(p, m)),
            "notionalUsd": num(notional), "optVal": "", "pendingCloseOrdLiabVal": "", "pnl": "0",
            "pos": num(p.pos), "posCcy": "", "posId": p.pos_id, "posSide": "net", "quoteBal": "",
            "realizedPnl": num(p.funding_fee), "spotInUseAmt": "", "thetaBS": "", "thetaPA": "",
            "tradeId": "", "uTime": str(self.sim.now_ms()), "upl": num(upl),
            "uplLastPx": num(upl), "uplRatio": num(upl / margin if margin else 0.0), "usdPx": "",
            "vegaBS": "", "vegaPA": "",
        }

    async def balance(self, request: web.Request, a: OkxAccount) -> web.Response:
        return ok([self.balance_row(a)])

    async def positions(self, request: web.Request, a: OkxAccount) -> web.Response:
        kind = request.query.get("instType")
        wanted = request.query.get("instId")
        if kind not in (None, "SWAP"):
            return ok([])
        ids = set(wanted.split(",")) if wanted else None
        return ok([self.position_row(a, p) for p in a.positions if ids is None or p.inst_id in ids])

    async def positions_history(self, request: web.Request, a: OkxAccount) -> web.Response:
        rows = [
            {
                    "cTime": str(liq.time_ms), "ccy": "USDT", "closeAvgPx": px(leg.price),
                    "closeTotalPos": num(abs(leg.qty)), "direction": leg.side, "instId": leg.symbol,
                    "instType": "SWAP", "lever": "", "mgnMode": "isolated" if leg.isolated else "cross",
                    "openAvgPx": px(leg.entry), "openMaxPos": num(abs(leg.qty)), "pnl": num(leg.realized),
                    "posId": "", "realizedPnl": num(leg.realized), "type": "3", "uTime": str(liq.time_ms),
                    "uly": leg.symbol.removesuffix("-SWAP"), "fundingFee": "0", "liqPenalty": "0",
            }
            for liq in self.sim.liquidations
            if liq.venue.value == "okx" and liq.account == a.name
            for leg in liq.legs
        ]
        return ok(rows[::-1])

    async def config(self, request: web.Request, a: OkxAccount) -> web.Response:
        return ok([{
            "acctLv": a.acct_lv, "autoLoan": a.multi, "ctIsoMode": "automatic", "enableSpotBorrow": False,
            "greeksType": "PA", "ip": a.spec.ip, "kycLv": "2", "label": a.name, "level": "Lv1",
            "levelTmp": "", "liquidationGear": "-1", "mainUid": "44705892343619584", "mgnIsoMode": "automatic",
            "opAuth": "0", "perm": a.spec.perm, "posMode": "net_mode", "roleType": "0", "spotBorrowAutoRepay":
            False, "spotOffsetType": "", "spotRoleType": "0", "spotTraderInsts": [], "traderInsts": [],
            "type": "0", "uid": "44705892343619584",
        }])

    async def bills(self, request: web.Request, a: OkxAccount) -> web.Response:
        kind = request.query.get("type")
        rows = [{
            "bal": num(b.balance), "balChg": num(b.amount), "billId": b.bill_id, "ccy": b.ccy, "clOrdId": "",
            "execType": "", "fee": "0", "fillFwdPx": "", "fillIdxPx": "", "fillMarkPx": "", "fillMarkVol": "",
            "fillPxUsd": "", "fillPxVol": "", "fillTime": str(b.time_ms), "from": "", "instId": b.inst_id,
            "instType": "SWAP", "interest": "0", "mgnMode": "cross", "notes": "", "ordId": "", "pnl": "0",
            "posBal": "0", "posBalChg": "0", "px": "", "subType": "173" if b.amount < 0 else "174", "sz": "0",
            "tag": "", "to": "", "tradeId": "", "ts": str(b.time_ms), "type": b.kind,
        } for b in reversed(a.bills) if kind in (None, b.kind)]
        return ok(rows[:100])

    async def interest_accrued(self, request: web.Request, a: OkxAccount) -> web.Response:
        now = str(self.sim.now_ms())
        return ok([{
            "ccy": ccy, "instId": "", "interest": num(a.interest_today.get(ccy, 0.0)),
            "interestRate": num(self.sim.okx.spec.currency(ccy).hourly_interest, 10), "liab": num(owed),
            "mgnMode": "cross", "ts": now, "type": "2",
        } for ccy, owed in a.liabilities.items()])

    async def interest_rate(self, request: web.Request, a: OkxAccount) -> web.Response:
        wanted = request.query.get("ccy")
        return ok([{"ccy": c.ccy, "interestRate": num(c.hourly_interest, 10)}
                   for c in self.sim.okx.spec.currencies if wanted in (None, c.ccy)])

    async def currencies(self, request: web.Request, a: OkxAccount) -> web.Response:
        rows = [
            {
                "canDep": True, "canInternal": True, "canWd": True, "ccy": c.ccy, "chain": f"{c.ccy}-ERC20",
                "depQuotaFixed": "", "depEstOpenTime": "", "mainNet": False, "maxFee": "0.01", "maxWd": "1000000",
                "minDep": "0.00005", "minFee": "0.001", "minWd": "0.001", "name": c.ccy, "wdTickSz": "8",
                "wdQuota": "10000000", "usedWdQuota": "0", "logoLink": "", "needTag": False,
                "minDepArrivalConfirm": "64", "minWdUnlockConfirm": "96", "burningFeeRate": "",
                "ctAddr": "", "fee": "0.001",
            }
            for c in self.sim.okx.spec.currencies
        ]
        return ok(rows)
