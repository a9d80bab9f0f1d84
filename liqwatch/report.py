"""The documented, stable JSON of a monitor snapshot (``liqwatch check --json``) and its text table."""

from __future__ import annotations

from typing import Any

from liqwatch.commands.calc_output import fmt
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.store import AccountView, MonitorSnapshot


def _r(value: float | None, digits: int = 10) -> float | None:
    return None if value is None else round(value, digits)


def snapshot_json(snap: MonitorSnapshot) -> dict[str, Any]:
    return {
        "time": snap.time.isoformat().replace("+00:00", "Z"),
        "status": snap.status.value,
        "feeds": [
            {"account": f.account, "channel": f.channel, "state": f.state.value, "age_s": _r(f.age_s, 3)}
            for f in snap.feeds
        ],
        "accounts": [_account_json(a) for a in snap.accounts],
    }


def _account_json(a: AccountView) -> dict[str, Any]:
    r = a.risk
    out: dict[str, Any] = {
        "name": a.name,
        "exchange": a.exchange.value,
        "status": a.status.value,
        "wallet_balance": r.wallet_balance if r else None,
        "margin_balance": r.margin_balance if r else None,
        "maintenance_margin": r.maintenance_margin if r else None,
        "margin_ratio": r.margin_ratio if r else None,
        "risk": r.risk if r else None,
        "positions": [
            {
                "symbol": p.risk.symbol,
                "side": p.risk.side.value,
                "state": "open",
                "size": p.risk.size,
                "entry_price": p.risk.entry_price,
                "mark_price": p.risk.mark_price,
                "liquidation_price": p.risk.liquidation_price,
                "exchange_liquidation_price": p.risk.exchange_liquidation_price,
                "distance_to_liquidation_pct": p.risk.distance_to_liquidation_pct,
                "distance_sigma": p.risk.distance_sigma,
                "margin_ratio": p.risk.margin_ratio,
                "risk": p.risk.risk,
                "unrealized_pnl": p.risk.unrealized_pnl,
                "next_funding": p.next_funding,
                "age_s": _r(p.age_s, 3),
            }
            for p in a.positions
        ] + [_liquidated_json(r) for r in a.liquidations],
    }
    if a.disabled_reason is not None:
        out["disabled"] = a.disabled_reason
    return out


def _liquidated_json(r: LiquidatedPosition) -> dict[str, Any]:
    """A liquidation not acknowledged yet: listed with the positions until its alert is acknowledged."""
    return {
        "symbol": r.symbol,
        "side": r.side.value,
        "state": "liquidated",
        "partial": r.partial,
        "size": r.size_taken,  # what the exchange took
        "size_before": r.size_before,
        "liquidated_at": r.time.isoformat().replace("+00:00", "Z"),
        "price": r.price,
        "realized_pnl": r.realized_pnl,
        "found_in": r.source,
    }


def snapshot_text(snap: MonitorSnapshot) -> str:
    lines = [f"{snap.time:%Y-%m-%d %H:%M:%S} UTC  status {snap.status.value.upper()}"]
    for f in snap.feeds:
        age = "-" if f.age_s is None else f"{f.age_s:.1f}s"
        detail = f"  {f.detail}" if f.detail else ""
        lines.append(f"  feed {f.account}/{f.channel}: {f.state.value} (age {age}){detail}")
    for a in snap.accounts:
        r = a.risk
        lines.append("")
        head = f"{a.name} [{a.exchange.value}] {a.status.value.upper()}"
        if a.disabled_reason:
            lines.append(f"{head}  disabled: {a.disabled_reason}")
            continue
        if r is None:
            lines.append(f"{head}  waiting for the first snapshot")
            continue
        lines.append(f"{head}  equity {fmt(r.margin_balance)}  MM {fmt(r.maintenance_margin)}  "
                     f"ratio {fmt(r.margin_ratio, 4)}  risk {fmt(r.risk, 4)}{'' if a.fresh else '  (NOT FRESH)'}")
        for p in a.positions:
            pr = p.risk
            lines.append(
                f"  {pr.symbol:<16} {pr.side.value:<5} {pr.margin_mode.value:<8} size {pr.size:g}  "
                f"mark {fmt(pr.mark_price, 4)}  liq {fmt(pr.liquidation_price, 4)}  "
                f"(exch {fmt(pr.exchange_liquidation_price, 4)})  dist {fmt(pr.distance_to_liquidation_pct)}%  "
                f"risk {fmt(pr.risk, 4)}  uPnL {fmt(pr.unrealized_pnl)}{'' if p.fresh else '  STALE'}"
            )
        lines.extend(f"  {liq.describe()} at {liq.time:%H:%M:%S} UTC  (acknowledge its alert to clear)"
                     for liq in a.liquidations)
    return "\n".join(lines) + "\n"
