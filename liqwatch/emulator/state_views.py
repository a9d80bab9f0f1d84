"""The Binance and Hyperliquid accounts as ``GET /_emulator/state`` shows them (``EmulatorServer.snapshot``; Bybit's
and OKX's views live beside their own accounts)."""

from __future__ import annotations

from typing import Any

from liqwatch.emulator.accounts import BinanceAccount, HyperliquidAccount
from liqwatch.emulator.simulation import Simulation

Prices = dict[tuple[str, str, str], float | None]  # (account, symbol, side) -> the emulator's liquidation price


def binance_state_view(sim: Simulation, ba: BinanceAccount, prices: Prices) -> dict[str, Any]:
    markets = sim.market.binance
    return {
        "exchange": "binance",
        "name": ba.name,
        "api_key": ba.api_key,
        "position_mode": "hedge" if ba.hedge else "one-way",
        "cross_wallet": ba.cross_wallet,
        "equity_cross": ba.cross_equity(markets),
        "maintenance_cross": ba.cross_mm(markets),
        "positions": [
            {
                "symbol": p.symbol,
                "side": p.side.value,
                "qty": p.qty,
                "entry": p.entry,
                "margin": "isolated" if p.isolated else "cross",
                "isolated_wallet": p.isolated_wallet,
                "liquidation_price": prices.get(
                    (ba.name, p.symbol, p.side.value if ba.hedge else ("LONG" if p.qty > 0 else "SHORT"))
                ),
            }
            for p in ba.positions
        ],
    }


def hyperliquid_state_view(sim: Simulation, ha: HyperliquidAccount, prices: Prices) -> dict[str, Any]:
    markets = sim.market.hyperliquid
    return {
        "exchange": "hyperliquid",
        "name": ha.name,
        "address": ha.address,
        "balance": ha.balance,
        "account_value_cross": ha.cross_value(markets),
        "maintenance_cross": ha.cross_mm(markets),
        "positions": [
            {
                "coin": q.coin,
                "szi": q.szi,
                "entry": q.entry,
                "margin": "isolated" if q.isolated else "cross",
                "isolated_margin": q.isolated_margin,
                "liquidation_price": prices.get((ha.name, q.coin, "LONG" if q.szi > 0 else "SHORT")),
            }
            for q in ha.positions
        ],
    }
