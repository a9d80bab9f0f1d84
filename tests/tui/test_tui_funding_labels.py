"""Funding reads one way on every pane: negative = paid, positive = received, and labels say "funding"."""

from __future__ import annotations

from tests.tui.scripted import scripted
from widgets import account_rows, position_rows
from widgets.detail_lines import info_lines
from widgets.position_rows import position_entries


def _column(columns: tuple[position_rows.Column, ...], key: str) -> int:
    return next(i for i, c in enumerate(columns) if c.key == key)


def test_funding_columns_and_detail_say_funding_with_the_sign_of_the_cash_flow() -> None:
    snap = scripted().store.snapshot()
    labels = [c.label for c in (*position_rows.COLUMNS, *account_rows.COLUMNS)]
    assert not [label for label in labels if "paid" in label]
    col = _column(position_rows.COLUMNS, "funding")
    assert position_rows.COLUMNS[col].label == "funding"
    assert account_rows.COLUMNS[_column(account_rows.COLUMNS, "funding")].label == "funding today"
    [row] = [e for e in position_entries(snap) if e.key.startswith("binance-main|BTC/USDT:USDT")]
    assert row.cells[col][0] == "-6.00"  # the long paid 2.95 + 3.05
    a = snap.account("binance-main")
    p = next(p for p in a.positions if p.risk.symbol == "BTC/USDT:USDT")
    text = "".join(t for line in info_lines(a, p, None, snap.time) for t, _ in line)
    assert "funding since open -6.00" in text and "paid" not in text
