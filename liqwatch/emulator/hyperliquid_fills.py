"""Hyperliquid fills of the exchange's own liquidations, as ``userFills`` (REST and websocket) carries
them: a closing fill with a ``liquidation`` object naming the liquidated user.

Only liquidations fill in the emulator (nobody trades), so an account's fills are its liquidations.
"""

from __future__ import annotations

from typing import Any

from liqwatch.emulator.accounts import HyperliquidAccount, Liquidation
from liqwatch.emulator.fmt import hl_px, trimmed
from liqwatch.emulator.market import Venue
from liqwatch.emulator.simulation import Simulation

Json = dict[str, Any]


def liquidation_fills(sim: Simulation, liq: Liquidation, address: str) -> list[Json]:
    out: list[Json] = []
    for i, leg in enumerate(liq.legs):
        px = hl_px(leg.price, 6 - sim.market.hyperliquid_specs[leg.symbol].sz_decimals)
        long = leg.qty > 0
        tid = liq.time_ms * 10 + i
        out.append({
            "coin": leg.symbol, "px": px, "sz": trimmed(abs(leg.qty), 8), "side": "A" if long else "B",
            "time": liq.time_ms, "startPosition": trimmed(leg.qty, 8), "dir": "Close Long" if long else "Close Short",
            "closedPnl": trimmed(leg.realized, 6), "hash": f"0x{tid:064x}", "oid": tid, "crossed": True,
            "fee": "0.0", "tid": tid, "feeToken": "USDC",
            "liquidation": {"liquidatedUser": address, "markPx": px,
                            "method": "backstop" if liq.backstop else "market"},
        })
    return out


def user_fills(sim: Simulation, account: HyperliquidAccount | None, start: int | None = None,
               end: int | None = None) -> list[Json]:
    """Newest first, as Hyperliquid answers ``userFills`` / ``userFillsByTime``."""
    if account is None:
        return []
    rows = [f for liq in sim.liquidations if liq.venue is Venue.HYPERLIQUID and liq.account == account.name
            and (start is None or liq.time_ms >= start) and (end is None or liq.time_ms <= end)
            for f in liquidation_fills(sim, liq, account.address)]
    return sorted(rows, key=lambda f: -int(f["time"]))
