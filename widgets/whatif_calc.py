"""What-if: every account re-evaluated by the engine (``evaluate_account``) with shifted marks.

Marks are the snapshot's (what the trader sees), shifted by ``shift_pct`` for one asset or all; the
positions, tier tables and wallets are the snapshot's too (``AccountView.what_if``, taken from the same state
as its figures), so the what-if never mixes a frozen view with a live store that has moved on.
"""

from __future__ import annotations

from dataclasses import dataclass

from liqwatch.risk.evaluate import AccountRisk, PositionRisk, evaluate_account
from liqwatch.risk.reported import reported_account_risk
from liqwatch.store import AccountView, MonitorSnapshot
from widgets.exposure_rows import base_asset


@dataclass(frozen=True, slots=True)
class WhatIfAccount:
    view: AccountView
    before: AccountRisk
    after: AccountRisk

    @property
    def liquidated(self) -> tuple[PositionRisk, ...]:
        """Positions the shift would liquidate (a liquidated cross account takes all its cross positions)."""
        return tuple(p for p in self.after.positions if p.liquidated)


def assets(snap: MonitorSnapshot) -> list[str]:
    return sorted({base_asset(p.risk.symbol) for a in snap.accounts for p in a.positions})


def shifted_marks(view: AccountView, shift_pct: float, asset: str | None) -> dict[str, float]:
    factor = 1.0 + shift_pct / 100.0
    marks = view.what_if.mark_map() if view.what_if is not None else {p.risk.symbol: p.risk.mark_price
                                                                      for p in view.positions}
    return {symbol: mark * (factor if asset is None or base_asset(symbol) == asset else 1.0)
            for symbol, mark in marks.items()}


def what_if(snap: MonitorSnapshot, shift_pct: float, asset: str | None = None) -> list[WhatIfAccount]:
    if shift_pct <= -100.0:
        raise ValueError("a price cannot fall by 100 % or more")
    out = []
    for view in snap.accounts:
        inputs = view.what_if
        if view.risk is None or not view.positions or inputs is None:
            continue
        marks = shifted_marks(view, shift_pct, asset)
        if inputs.reported:  # a generic account: the exchange's liquidation prices as they stand
            after = reported_account_risk(inputs.reported_balance, inputs.reported, marks)
        else:
            after = evaluate_account(inputs.rules, inputs.wallet_balance, inputs.positions, marks)
        out.append(WhatIfAccount(view, view.risk, after))
    return out
