"""What-if: every account re-evaluated by the engine (``evaluate_account``) with shifted marks.

Marks are the snapshot's (what the trader sees), shifted by ``shift_pct`` for one asset or all; the
positions, tier tables and wallets are the live ones from the account books.
"""

from __future__ import annotations

from dataclasses import dataclass

from liqwatch.risk.evaluate import AccountRisk, PositionRisk, evaluate_account
from liqwatch.store import AccountView, MonitorSnapshot
from widgets.exposure_rows import base_asset
from widgets.ports import MonitorSource


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
    return {
        p.risk.symbol: p.risk.mark_price * (factor if asset is None or base_asset(p.risk.symbol) == asset else 1.0)
        for p in view.positions
    }


def what_if(snap: MonitorSnapshot, source: MonitorSource, shift_pct: float, asset: str | None = None
            ) -> list[WhatIfAccount]:
    if shift_pct <= -100.0:
        raise ValueError("a price cannot fall by 100 % or more")
    out = []
    for view in snap.accounts:
        if view.risk is None or not view.positions:
            continue
        book = source.book(view.name)
        positions = book.positions()
        after = evaluate_account(book.rules, book.wallet_balance, positions, shifted_marks(view, shift_pct, asset))
        out.append(WhatIfAccount(view, view.risk, after))
    return out
