"""What-if rows: each account before and after the shift, then its positions; liquidations marked."""

from __future__ import annotations

from liqwatch import danger
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.model import MarginMode
from liqwatch.risk.evaluate import AccountRisk, PositionRisk
from widgets import fmt
from widgets.keyed_table import KEEP, Cell, Column, Row
from widgets.levels import status_cell, status_tag
from widgets.whatif_calc import WhatIfAccount

#: The LIQD marker ("after") sits beside the name and, as the liquidation price and distance, never gives
#: way; the table then needs no sideways scrolling (widgets.keyed_table.Column).
COLUMNS = (
    Column("name", "account / position", 18, "left", KEEP),
    Column("status", "after", 7, "left", KEEP),
    Column("risk", "risk now→after", 14, priority=1),
    Column("ratio", "margin now→after", 16, priority=2),
    Column("mark", "mark→shifted", 12, priority=3),
    Column("liq", "liq after", 9, priority=KEEP),
    Column("dist", "dist after", 10, priority=KEEP),
    Column("equity", "equity after", 12, priority=2),
)


def _arrow(before: str, after: str) -> str:
    return f"{before}→{after}"


def _risk(r: float | None, liquidated: bool) -> str:
    return "liq" if liquidated else fmt.risk(r)


def _worst(account: AccountRisk) -> tuple[float | None, bool]:
    """The account's cross risk or its worst isolated position's, whichever is worse (as the panes rank)."""
    cross = any(p.margin_mode is MarginMode.CROSS for p in account.positions)
    values = ([account.risk] if cross else []) + [p.risk for p in account.positions
                                                  if p.margin_mode is MarginMode.ISOLATED]
    liquidated = account.liquidated or any(p.liquidated for p in account.positions)
    known = [v for v in values if v is not None]
    return (None if liquidated or len(known) < len(values) else max(known, default=0.0)), liquidated


def _position_row(before: PositionRisk, after: PositionRisk, judged: danger.Assessment) -> Row:
    level = status_tag(danger.status_of(judged.position_level(danger.subject_of(after), after.margin_mode)))
    marker: Cell = ("XX LIQD", "critical") if after.liquidated else ("", "")
    return (
        (f"  {after.symbol} {after.side.value}", ""),
        marker,
        (_arrow(_risk(before.risk, before.liquidated), _risk(after.risk, after.liquidated)), level),
        (_arrow(fmt.ratio_pct(before.margin_ratio), fmt.ratio_pct(after.margin_ratio)), level),
        (_arrow(fmt.price(before.mark_price), fmt.price(after.mark_price)), ""),
        (fmt.price(after.liquidation_price), "liq"),
        (fmt.pct(after.distance_to_liquidation_pct, 1), level),
        ("", ""),
    )


def what_if_rows(results: list[WhatIfAccount], thresholds: ThresholdMap) -> tuple[list[str], dict[str, Row]]:
    """Shifted figures judged as live ones are: ``liqwatch.danger`` with each account's own thresholds."""
    order: list[str] = []
    rows: dict[str, Row] = {}
    for res in results:
        b, a = res.before, res.after
        risk_before, liq_before = _worst(b)
        risk_after, liq_after = _worst(a)
        judged = danger.assess(a, thresholds.for_account(res.view.name))
        status = judged.status
        level = status_tag(status)
        key = res.view.name
        order.append(key)
        rows[key] = (
            (res.view.name, "strong"),
            status_cell(status, liq_after),
            (_arrow(_risk(risk_before, liq_before), _risk(risk_after, liq_after)), level),
            (_arrow(fmt.ratio_pct(b.margin_ratio), fmt.ratio_pct(a.margin_ratio)), level),
            ("", ""),
            ("", ""),
            ("", ""),
            (fmt.money(a.margin_balance), ""),
        )
        for pb, pa in zip(b.positions, a.positions, strict=True):
            pkey = f"{key}|{pa.symbol}|{pa.side.value}"
            order.append(pkey)
            rows[pkey] = _position_row(pb, pa, judged)
    return order, rows
