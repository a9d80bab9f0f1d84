"""How ``calc`` prints an account: the documented JSON shape, or a plain-text table."""

from __future__ import annotations

import json
from typing import Any

from liqwatch.model import Exchange
from liqwatch.risk.evaluate import AccountRisk, PositionRisk


def _position_json(p: PositionRisk) -> dict[str, Any]:
    return {
        "symbol": p.symbol,
        "side": p.side.value,
        "margin_mode": p.margin_mode.value,
        "notional": p.notional,
        "unrealized_pnl": p.unrealized_pnl,
        "initial_margin": p.initial_margin,
        "maintenance_margin": p.maintenance_margin,
        "liquidation_price": p.liquidation_price,
        "liquidation_scope": p.liquidation_scope,
        "bankruptcy_price": p.bankruptcy_price,
        "distance_to_liquidation_pct": p.distance_to_liquidation_pct,
        "margin_ratio": p.margin_ratio,
        "risk": p.risk,
        "liquidated": p.liquidated,
        "roe": p.roe,
    }


def to_json_obj(exchange: Exchange, acc: AccountRisk) -> dict[str, Any]:
    return {
        "exchange": exchange.value,
        "account": {
            "wallet_balance": acc.wallet_balance,
            "margin_balance": acc.margin_balance,
            "cross_wallet_balance": acc.cross_wallet_balance,
            "cross_margin_balance": acc.cross_margin_balance,
            "maintenance_margin": acc.maintenance_margin,
            "margin_ratio": acc.margin_ratio,
            "risk": acc.risk,
            "liquidated": acc.liquidated,
        },
        "positions": [_position_json(p) for p in acc.positions],
    }


def render_json(exchange: Exchange, acc: AccountRisk) -> str:
    # allow_nan=False: a NaN or infinity would be invalid JSON for the scripts reading this.
    return json.dumps(to_json_obj(exchange, acc), allow_nan=False) + "\n"


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if abs(value) >= 1e6:
        return f"{value:,.{digits}f}"
    if 0 < abs(value) < 1:
        return f"{value:.{max(digits, 6)}g}"
    return f"{value:,.{digits}f}"


def _line(cells: list[str], widths: list[int]) -> str:
    # Text columns (symbol, side, mode) left-aligned, numbers right-aligned.
    return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))


def _table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    return "\n".join(_line(r, widths) for r in [headers, *rows])


def render_table(exchange: Exchange, acc: AccountRisk) -> str:
    liq = "  LIQUIDATED" if acc.liquidated else ""
    head = (
        f"{exchange.value}  wallet {fmt(acc.wallet_balance)}  margin balance {fmt(acc.margin_balance)}  "
        f"cross wallet {fmt(acc.cross_wallet_balance)}  cross margin balance {fmt(acc.cross_margin_balance)}  "
        f"maint. margin {fmt(acc.maintenance_margin)}  margin ratio {fmt(acc.margin_ratio, 4)}  "
        f"risk {fmt(acc.risk, 4)}{liq}"
    )
    headers = ["symbol", "side", "mode", "notional", "uPnL", "init. margin", "maint. margin",
               "liq. price", "bankr. price", "dist %", "ROE %", "ratio", "risk"]
    rows = [
        [
            p.symbol,
            p.side.value,
            p.margin_mode.value,
            fmt(p.notional),
            fmt(p.unrealized_pnl),
            fmt(p.initial_margin),
            fmt(p.maintenance_margin),
            fmt(p.liquidation_price, 4) + (" (pair)" if p.liquidation_scope == "pair" else ""),
            fmt(p.bankruptcy_price, 4),
            fmt(p.distance_to_liquidation_pct),
            fmt(None if p.roe is None else p.roe * 100),
            fmt(p.margin_ratio, 4),
            "LIQUIDATED" if p.liquidated and p.risk is None else fmt(p.risk, 4),
        ]
        for p in acc.positions
    ]
    return head + "\n\n" + _table(headers, rows) + "\n"
