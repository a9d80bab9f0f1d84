"""What-if (``w``): shift prices by a percentage, for every asset or one, and see each account's margin and
which positions would be liquidated, computed by the engine's own ``evaluate_account``."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from liqwatch.store import MonitorSnapshot
from tui.bindings import ALWAYS_SHOWN, WHAT_IF_BINDINGS
from widgets.key_bar import KeyBar
from widgets.keyed_table import KeyedTable
from widgets.ports import MonitorSource
from widgets.whatif_calc import assets, what_if
from widgets.whatif_rows import COLUMNS, what_if_rows

MIN_SHIFT = -99.0


class WhatIfScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = WHAT_IF_BINDINGS

    def __init__(self, snapshot: MonitorSnapshot, source: MonitorSource) -> None:
        super().__init__(id="what-if")
        self.snapshot = snapshot
        self.source = source
        self.shift_pct = 0.0
        self.assets: list[str | None] = [None, *assets(snapshot)]
        self.asset: str | None = None
        self.liquidated = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="what-if-box"):
            yield Static(id="what-if-title")
            yield KeyedTable(COLUMNS, fixed_columns=1, id="what-if-table")
        yield KeyBar(ALWAYS_SHOWN)

    def on_mount(self) -> None:
        self.query_one("#what-if-box").border_title = "What-if"
        self.recompute()
        self.query_one(KeyedTable).focus()

    def recompute(self) -> None:
        results = what_if(self.snapshot, self.shift_pct, self.asset)
        self.liquidated = sum(len(r.liquidated) for r in results)
        order, rows = what_if_rows(results, self.source.thresholds)
        self.query_one(KeyedTable).set_rows(order, rows)
        target = self.asset or "every asset"
        lost = f"{self.liquidated} position{'s' if self.liquidated != 1 else ''} liquidated" if self.liquidated \
            else "nothing liquidated"
        self.query_one("#what-if-title", Static).update(
            f"Shift {target} by {self.shift_pct:+.1f} %: {lost}. "
            "Keys: + / - 1 %, ] / [ 10 %, 0 reset, n next asset, escape close."
        )

    def action_shift(self, delta: float) -> None:
        self.shift_pct = max(MIN_SHIFT, self.shift_pct + delta)
        self.recompute()

    def action_reset_shift(self) -> None:
        self.shift_pct = 0.0
        self.recompute()

    def action_next_asset(self) -> None:
        i = self.assets.index(self.asset)
        self.asset = self.assets[(i + 1) % len(self.assets)]
        self.recompute()

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)
