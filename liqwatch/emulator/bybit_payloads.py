"""The shapes of a Bybit UTA's private data, shared by REST (``position/list``, ``account/wallet-balance``,
``execution/list``) and the private websocket topics (``position``, ``wallet``, ``execution``): strings for
every number, Bybit's field names, and the figures by Bybit's own definitions (``bybit_account``)."""

from __future__ import annotations

from typing import Any

from liqwatch.emulator.bybit_account import BybitAccount, BybitExecution, BybitPosition
from liqwatch.emulator.fmt import fixed, precise_price, trimmed
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]


def _usd(value: float) -> str:
    return fixed(value, 8)


class BybitPayloads:
    def __init__(self, sim: Simulation) -> None:
        self.sim = sim

    def position(self, account: BybitAccount, p: BybitPosition) -> Json:
        market = self.sim.market.bybit[p.symbol]
        spec = self.sim.market.bybit_specs[p.symbol]
        decimals = spec.price_decimals
        value = abs(p.qty) * p.entry
        tier_index = market.tiers.index_for(value)
        liq = account.liquidation_price(p, self.sim.market.bybit, self.sim.path_prices())
        upnl = account.upnl(p, market.mark)
        return {
            "positionIdx": 0, "riskId": tier_index + 1, "riskLimitValue": fixed(spec.tier_rows()[tier_index][1], 0),
            "symbol": p.symbol, "side": "Buy" if p.qty > 0 else "Sell", "size": trimmed(abs(p.qty), 8),
            "avgPrice": trimmed(p.entry, 8), "positionValue": _usd(value), "tradeMode": 0,
            "positionStatus": "Normal", "autoAddMargin": 0, "adlRankIndicator": 2,
            "leverage": trimmed(p.leverage, 2), "positionBalance": _usd(p.position_margin if p.isolated else 0.0),
            "markPrice": fixed(market.mark, decimals),
            # A UTA cross position's liqPrice is "" on Bybit; an isolated one's is printed to the tick (the
            # exchange's rounding), with more digits here so that a reader can check ours against it, and ""
            # outside minPrice < liqPrice < maxPrice (Bybit since 2023-07-31: none a price can reach).
            "liqPrice": precise_price(liq) if (p.isolated and liq is not None
                                               and spec.min_price < liq < spec.max_price) else "",
            "bustPrice": precise_price(account.bust_price(p)), "positionMM": _usd(account.position_mm(p, market)),
            "positionIM": _usd(account.position_im(p)), "positionIMByMp": _usd(account.position_im(p)),
            "positionMMByMp": _usd(account.position_mm(p, market)), "tpslMode": "Full", "takeProfit": "0.00",
            "stopLoss": "0.00", "trailingStop": "0.00", "unrealisedPnl": _usd(upnl), "curRealisedPnl": _usd(0.0),
            "cumRealisedPnl": _usd(p.cum_realised), "sessionAvgPrice": "", "isReduceOnly": False,
            "mmrSysUpdatedTime": "", "leverageSysUpdatedTime": "", "breakEvenPrice": precise_price(p.entry),
            "createdTime": str(p.created_ms), "updatedTime": str(p.update_ms), "seq": p.update_ms,
        }

    def wallet(self, account: BybitAccount) -> Json:
        markets = self.sim.market.bybit
        index_of = self.sim.path_prices()
        cross_upnl = sum(account.upnl(p, markets[p.symbol].mark) for p in account.positions if not p.isolated)
        iso_upnl = sum(account.upnl(p, markets[p.symbol].mark) for p in account.positions if p.isolated)
        iso_margin = sum(p.position_margin for p in account.positions if p.isolated)
        cross_balance = account.cross_margin_balance(markets, index_of)
        # The whole account's margin balance: isolated margins are USDT of the account too (its walletBalance).
        margin_balance = cross_balance + iso_margin + iso_upnl
        mm = account.cross_mm(markets)
        im = sum(account.position_im(p) for p in account.positions if not p.isolated)
        usdt_balance = account.usdt_wallet + iso_margin
        usdt_equity = usdt_balance + cross_upnl + iso_upnl
        collateral_usd = account.collateral_value(index_of, weighted=False)
        coins = [{
            "coin": "USDT", "equity": _usd(usdt_equity), "usdValue": _usd(usdt_equity),
            "walletBalance": _usd(usdt_balance), "free": "", "locked": "0",
            "spotHedgingQty": "0", "borrowAmount": _usd(account.borrow()), "availableToBorrow": "",
            "availableToWithdraw": "", "accruedInterest": _usd(account.accrued_interest),
            "totalOrderIM": "0", "totalPositionIM": _usd(im + iso_margin),
            "totalPositionMM": _usd(mm + sum(account.position_mm(p, markets[p.symbol])
                                             for p in account.positions if p.isolated)),
            "unrealisedPnl": _usd(cross_upnl + iso_upnl), "cumRealisedPnl": _usd(sum(p.cum_realised
                                                                                     for p in account.positions)),
            "bonus": "0", "marginCollateral": True, "collateralSwitch": True,
        }]
        for c in account.collateral:
            price = index_of[c.path]
            coins.append({
                "coin": c.coin, "equity": trimmed(c.amount, 8), "usdValue": _usd(c.amount * price),
                "walletBalance": trimmed(c.amount, 8), "free": "", "locked": "0", "spotHedgingQty": "0",
                "borrowAmount": "0", "availableToBorrow": "", "availableToWithdraw": "", "accruedInterest": "0",
                "totalOrderIM": "0", "totalPositionIM": "0", "totalPositionMM": "0", "unrealisedPnl": "0",
                "cumRealisedPnl": "0", "bonus": "0", "marginCollateral": True, "collateralSwitch": True,
            })
        available = max(0.0, cross_balance - im)
        return {
            "accountType": "UNIFIED",
            # The rates are the cross margin's: the account MM rate Bybit liquidates cross positions at
            # (>= 100 %); isolated positions are judged on their own position margin.
            "accountIMRate": trimmed(im / cross_balance if cross_balance > 0 else 0.0, 6),
            "accountMMRate": trimmed(mm / cross_balance if cross_balance > 0 else 0.0, 6),
            "accountLTV": trimmed(account.borrow() / collateral_usd if collateral_usd > 0 else 0.0, 6),
            "totalEquity": _usd(usdt_equity + collateral_usd),
            "totalWalletBalance": _usd(usdt_balance + collateral_usd),
            "totalMarginBalance": _usd(margin_balance), "totalAvailableBalance": _usd(available),
            "totalPerpUPL": _usd(cross_upnl + iso_upnl), "totalInitialMargin": _usd(im),
            "totalMaintenanceMargin": _usd(mm), "coin": coins,
        }

    def execution(self, e: BybitExecution) -> Json:
        return {
            "category": "linear", "symbol": e.symbol, "execType": e.exec_type, "execId": e.exec_id,
            "orderId": e.exec_id, "orderLinkId": "", "side": e.side, "execQty": trimmed(e.qty, 8),
            "execPrice": trimmed(e.price, 8), "execValue": _usd(e.qty * e.price), "execFee": fixed(e.fee, 8),
            "feeRate": trimmed(e.fee_rate, 8), "execTime": str(e.time_ms), "isMaker": False,
            "orderType": "Market" if e.exec_type == "BustTrade" else "UNKNOWN", "orderPrice": trimmed(e.price, 8),
            "orderQty": trimmed(e.qty, 8), "leavesQty": "0", "closedSize": trimmed(e.qty, 8)
            if e.exec_type == "BustTrade" else "0", "markPrice": trimmed(e.price, 8), "indexPrice": "",
            "underlyingPrice": "", "blockTradeId": "", "stopOrderType": "UNKNOWN", "tradeIv": "", "markIv": "",
            "seq": int(e.time_ms), "createType": "CreateByLiq" if e.exec_type == "BustTrade" else "",
            "feeCurrency": "USDT", "execPnl": "0",
        }


def bybit_state_view(sim: Simulation, account: BybitAccount, prices: dict[tuple[str, str, str], float | None]) -> Json:
    """The account in the emulator's ``GET /_emulator/state`` (the control endpoint): its own figures, never
    the wire's strings."""
    markets, index_of = sim.market.bybit, sim.path_prices()
    return {
        "exchange": "bybit",
        "name": account.name,
        "api_key": account.spec.api_key,
        "margin_mode": "isolated" if account.spec.isolated else "cross",
        "usdt_wallet": account.usdt_wallet,
        "borrow": account.borrow(),
        "accrued_interest": account.accrued_interest,
        "interest_today": account.interest_today,
        "cross_wallet": account.cross_fixed_balance(index_of),
        "equity_cross": account.cross_margin_balance(markets, index_of),
        "maintenance_cross": account.cross_mm(markets),
        "positions": [
            {
                "symbol": p.symbol,
                "side": "LONG" if p.qty > 0 else "SHORT",
                "qty": p.qty,
                "entry": p.entry,
                "margin": "isolated" if p.isolated else "cross",
                "position_margin": p.position_margin,
                "liquidation_price": prices.get((account.name, p.symbol, "LONG" if p.qty > 0 else "SHORT")),
            }
            for p in account.positions
        ],
    }
