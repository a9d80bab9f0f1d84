"""The exchanges' histories read back for a position that closed while liqwatch was not running: was it
liquidated? Pure parsers (no I/O): Binance ``GET /fapi/v1/forceOrders`` (plus the ``REALIZED_PNL`` income
of the same time) and Hyperliquid ``userFills`` (fills carrying a ``liquidation`` object)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from liqwatch.feeds.hyperliquid_wire import unified
from liqwatch.feeds.wire import WireError
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition, is_partial
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
    return LiquidatedPosition(account, closed.symbol, closed.side, taken, price, _when(last_ms), closed.size or None,
                              None, False, "history")


def binance_realized(income: Any) -> float | None:
    """The ``REALIZED_PNL`` records of a liquidation's time, summed (None when there are none)."""
    if not isinstance(income, list):
        raise WireError("income: expected a list")
    rows = [r for r in income if isinstance(r, dict) and r.get("incomeType") == "REALIZED_PNL"]
    return sum(_f(r, "income") for r in rows) if rows else None


def hyperliquid_liquidation_fill(account: str, address: str, fill: Any) -> LiquidatedPosition | None:
    """One ``userFills`` entry -> the slice a liquidation of this user took; None for any other fill.
    ``startPosition`` is the signed size before the fill: a fill smaller than it is a partial liquidation."""
    if not isinstance(fill, dict):
        raise WireError("userFills: unreadable fill")
    liq = fill.get("liquidation")
    if not isinstance(liq, dict) or str(liq.get("liquidatedUser", "")).lower() != address:
        return None
    coin = fill.get("coin")
    if not isinstance(coin, str):
        raise WireError("userFills: fill without coin")
    start = _f(fill, "startPosition")
    side = Side.LONG if start > 0 else Side.SHORT if start < 0 else (
        Side.LONG if fill.get("side") == "A" else Side.SHORT)  # a sell (A) closes a long
    taken, before = _f(fill, "sz"), abs(start) or None
    return LiquidatedPosition(account, unified(coin), side, taken, _f(fill, "px"), _when(_f(fill, "time")), before,
                              _f(fill, "closedPnl"), is_partial(taken, before))


def hyperliquid_liquidation_fills(account: str, address: str, closed: ClosedSinceLastRun,
                                  fills: Any) -> LiquidatedPosition | None:
    """``userFillsByTime`` -> the slices that liquidated ``closed``'s leg since it was last seen, added up."""
    if not isinstance(fills, list):
        raise WireError("userFills: expected a list")
    found: LiquidatedPosition | None = None
    for f in sorted(fills, key=lambda f: f.get("time", 0) if isinstance(f, dict) else 0):
        liq = hyperliquid_liquidation_fill(account, address, f)
        if liq is None or liq.key != closed.key or liq.time < closed.since:
            continue
        found = liq if found is None else found.merged(liq)
    if found is None:
        return None
    return replace(found, size_before=closed.size or None, partial=False, source="history")
