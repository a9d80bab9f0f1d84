"""Binance's ``GET /fapi/v1/forceOrders``: the account's liquidation orders, from the simulation's record.

Each liquidated leg is one FILLED reduce-only IOC order with a client id ``autoclose-<time>``, as Binance
lists them; the realized loss is in the income history (``REALIZED_PNL``) at the same time.
"""

from __future__ import annotations

from typing import Any

from liqwatch.emulator.accounts import BinanceAccount
from liqwatch.emulator.fmt import fixed
from liqwatch.emulator.market import Venue
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]
WEEK_MS = 7 * 86_400_000


def force_orders(sim: Simulation, account: BinanceAccount, params: dict[str, str]) -> list[Json]:
    symbol = params.get("symbol")
    kind = params.get("autoCloseType")
    end = int(params["endTime"]) if params.get("endTime", "").isdigit() else sim.now_ms()
    start = int(params["startTime"]) if params.get("startTime", "").isdigit() else end - WEEK_MS
    limit_text = params.get("limit", "50")
    limit = min(int(limit_text), 100) if limit_text.isdigit() and int(limit_text) > 0 else 50
    if kind not in (None, "LIQUIDATION"):
        return []  # the emulator never auto-deleverages
    out: list[Json] = []
    for n, liq in enumerate(sim.liquidations):
        if liq.venue is not Venue.BINANCE or liq.account != account.name or not start <= liq.time_ms <= end:
            continue
        for i, leg in enumerate(liq.legs):
            if symbol is not None and leg.symbol != symbol:
                continue
            spec = sim.market.binance_specs[leg.symbol]
            qty = fixed(abs(leg.qty), spec.qty_decimals)
            price = fixed(leg.price, spec.price_decimals)
            out.append({
                "orderId": 9_000_000 + n * 10 + i, "symbol": leg.symbol, "status": "FILLED",
                "clientOrderId": f"autoclose-{liq.time_ms}", "price": price, "avgPrice": price,
                "origQty": qty, "executedQty": qty, "cumQuote": fixed(abs(leg.qty) * leg.price, 8),
                "timeInForce": "IOC", "type": "LIMIT", "reduceOnly": True, "closePosition": False,
                "side": "SELL" if leg.qty > 0 else "BUY", "positionSide": leg.side, "stopPrice": "0",
                "workingType": "CONTRACT_PRICE", "origType": "LIMIT", "time": liq.time_ms,
                "updateTime": liq.time_ms,
            })
    return out[-limit:]
