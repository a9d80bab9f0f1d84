"""An account's risk as the trader reads it: the worst of its cross margin and its isolated positions (an
isolated-only account's own ratio says nothing about its danger). Accounts are ranked by distance to
liquidation (``liqwatch.store.nearest_distance``); this is the risk column and gauge."""

from __future__ import annotations

from liqwatch.model import MarginMode
from liqwatch.store import AccountView


def worst_risk(a: AccountView) -> float | None:
    """None when undefined (no equity, liquidated) or before the first snapshot; else 0.0 = safe, 1.0 = liq."""
    if a.risk is None:
        return None
    values = [a.risk.risk] if any(p.risk.margin_mode is MarginMode.CROSS for p in a.positions) else []
    values += [p.risk.risk for p in a.positions if p.risk.margin_mode is MarginMode.ISOLATED]
    if any(v is None for v in values):
        return None
    known = [v for v in values if v is not None]
    return max(known, default=0.0)


def worst_liquidated(a: AccountView) -> bool:
    return a.risk is not None and (a.risk.liquidated or any(p.risk.liquidated for p in a.positions))
