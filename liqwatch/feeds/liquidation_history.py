"""The exchanges' histories read back for a position that closed while liqwatch was not running: was it
liquidated? Pure parsers (no I/O): Binance ``GET /fapi/v1/forceOrders`` (plus the ``REALIZED_PNL`` income
of the same time) and Hyperliquid ``userFills`` (fills carrying a ``liquidation`` object)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from liqwatch.feeds.wire import WireError
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition
from liqwatch.model import Side


def _f(d: dict[str, Any], key: str) -> float:
    try:
        return float(d[key])
    except (KeyError, TypeError, ValueError):
        raise WireError(f"{key}: missing or not a number") from None


def _when(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000.0, UTC)


def binance_force_orders(account: str, closed: ClosedSinceLastRun, orders: Any) -> LiquidatedPosition | None:
    """The liquidation orders of ``closed``'s leg since it was last seen, added up; None if there is none."""
    if not isinstance(orders, list):
        raise WireError("forceOrders: expected a list")
    taken, price, last_ms = 0.0, None, None
    for o in orders:
        if not isinstance(o, dict) or o.get("status") not in ("FILLED", "PARTIALLY_FILLED"):
            continue
        ps = o.get("positionSide")
        side = Side.LONG if ps == "LONG" else Side.SHORT if ps == "SHORT" else (
            Side.LONG if o.get("side") == "SELL" else Side.SHORT)
        t = _f(o, "updateTime") if o.get("updateTime") is not None else _f(o, "time")
        if side is not closed.side or t < closed.since.timestamp() * 1000:
            continue
        taken += _f(o, "executedQty")
        price = _f(o, "avgPrice") or _f(o, "price")
        last_ms = max(last_ms or t, t)
    if not taken > 0 or last_ms is None:
        return None
    return LiquidatedPosition(account, closed.symbol, closed.side, taken, price, _when(last_ms), closed.size,
                              None, False, "history")


def binance_realized(income: Any) -> float | None:
    """The ``REALIZED_PNL`` records of a liquidation's time, summed (None when there are none)."""
    if not isinstance(income, list):
        raise WireError("income: expected a list")
    rows = [r for r in income if isinstance(r, dict) and r.get("incomeType") == "REALIZED_PNL"]
    return sum(_f(r, "income") for r in rows) if rows else None


def hyperliquid_liquidation_fills(account: str, address: str, coin: str, closed: ClosedSinceLastRun,
                                  fills: Any) -> LiquidatedPosition | None:
    """``userFills`` -> the fills of ``coin`` that liquidated this user since the leg was last seen."""
    if not isinstance(fills, list):
        raise WireError("userFills: expected a list")
    taken, pnl, price, last_ms = 0.0, 0.0, None, None
    for f in fills:
        if not isinstance(f, dict) or f.get("coin") != coin:
            continue
        liq = f.get("liquidation")
        if not isinstance(liq, dict) or str(liq.get("liquidatedUser", "")).lower() != address:
            continue
        t = _f(f, "time")
        if t < closed.since.timestamp() * 1000:
            continue
        taken += _f(f, "sz")
        pnl += _f(f, "closedPnl")
        price = _f(f, "px")
        last_ms = max(last_ms or t, t)
    if not taken > 0 or last_ms is None:
        return None
    return LiquidatedPosition(account, closed.symbol, closed.side, taken, price, _when(last_ms), closed.size,
                              pnl, False, "history")
