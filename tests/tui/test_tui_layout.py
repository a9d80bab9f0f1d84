"""Layout at every size (issue 12): no cell cut by its table, the identity and risk columns always shown, the
header's parts whole, the feeds summary, the selected alert's whole message, the what-if table unscrolled."""

from __future__ import annotations

import pytest

from tests.tui.pilot_helpers import advance, app_for, monitor, settle
from tests.tui.scripted import Script, into_danger, scripted
from widgets.header_lines import header_lines
from widgets.keyed_table import KEEP, Column, KeyedTable, choose_columns
from widgets.panes import AccountsTable, AlertsTable, PositionsTable

SIZES = [(80, 24), (100, 30), (120, 34), (160, 50), (220, 60)]
IDENTITY_AND_RISK = {"account", "symbol", "side", "status", "dist", "liq"}


def _shown(table: KeyedTable) -> list[tuple[int, Column, int]]:
    """(index, column, width) of each column the table paints, left to right."""
    shown = getattr(table, "shown_columns", table.columns)  # today's main paints every column
    width = getattr(table, "column_width", lambda key: next(c.width for c in table.columns if c.key == key))
    return [(table.columns.index(c), c, width(c.key)) for c in shown]


def _cut_cells(table: KeyedTable) -> list[str]:
    """Every painted cell whose text is not its whole text, or that runs past the table's edge."""
    assert table.scroll_x == 0
    room = table.scrollable_content_region.width
    bad = []
    for y, key in enumerate(table.row_keys[: table.size.height - 1]):
        line = table.render_line(y + 1).text
        offset = 0
        for i, column, width in _shown(table):
            text = table.cells(key)[i][0]
            if not getattr(column, "flex", False):  # today's main has no free-text column
                if offset + width > room:
                    bad.append(f"{column.key} of {key} past the edge ({offset + width} > {room})")
                elif line[offset:offset + width].strip() != text.strip():
                    bad.append(f"{column.key} of {key}: {line[offset:offset + width]!r} for {text!r}")
            offset += width + 1
    return bad


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
async def test_no_table_cuts_a_cell_or_needs_sideways_scrolling(script: Script, size: tuple[int, int]) -> None:
    async with app_for(script).run_test(size=size) as pilot:
        await advance(pilot, script, 3)
        screen = monitor(pilot)
        for name in ("positions", "accounts", "exposure"):
            screen.focus_pane(name)  # folded: one pane at a time
            await settle(pilot)
            table = screen.query_one(f"#{name}", KeyedTable)
            assert table.row_keys
            assert _cut_cells(table) == [], f"{name} at {size}"
            assert table.virtual_size.width <= table.scrollable_content_region.width + 1, name


async def test_identity_and_risk_columns_show_at_80_columns(script: Script) -> None:
    async with app_for(script).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = monitor(pilot).query_one(PositionsTable)
        room = table.scrollable_content_region.width
        offset, inside = 0, set()
        for _, column, width in _shown(table):
            if offset + width <= room:
                inside.add(column.key)
            offset += width + 1
        assert inside >= IDENTITY_AND_RISK
        accounts = {c.key for _, c, _ in _shown(monitor(pilot).query_one(AccountsTable))}
        assert {"status", "name", "dist", "fresh"} <= accounts


def test_the_least_important_column_gives_way_first_and_a_kept_one_never() -> None:
    columns = [Column("a", "a", 4, priority=KEEP), Column("b", "b", 4, priority=3), Column("c", "c", 4, priority=5),
               Column("d", "d", 4, priority=3), Column("e", "e", 4, priority=KEEP)]
    widths = [c.width for c in columns]
    assert choose_columns(columns, widths, 24) == (0, 1, 2, 3, 4)  # 5 × 4 + 4 blanks
    assert choose_columns(columns, widths, 23) == (0, 1, 3, 4)  # c has the highest number
    assert choose_columns(columns, widths, 18) == (0, 1, 4)  # a tie: the rightmost first
    assert choose_columns(columns, widths, 3) == (0, 4)  # the kept ones stay, overflowing
    narrow = [columns[0], Column("f", "f", 1, priority=6), Column("b", "b", 6, priority=5), columns[4]]
    # f goes first, then b must too; f then fits in the room b left, so it comes back
    assert choose_columns(narrow, [c.width for c in narrow], 12) == (0, 1, 3)


def _text(line: tuple[tuple[str, str], ...]) -> str:
    return "".join(t for t, _ in line)


@pytest.mark.parametrize("width", [80, 100, 120])
def test_header_parts_are_whole_at_any_width(width: int) -> None:
    script = scripted()
    script.step(1.0)
    top, feeds = (_text(line) for line in header_lines(script.store.snapshot(), [], width, "scripted"))
    assert "…" not in top and "…" not in feeds
    assert len(top) <= width and len(feeds) <= width
    assert "alerts 0" in top and "binance-degen" in top
    # The next funding with its value, never its label alone.
    assert top.rstrip().endswith(("UTC", "Z")) and ("fund" not in top or any(c.isdigit() for c in
                                                                             top.split("fund")[1]))


def test_the_feeds_line_summarises_worst_first_when_it_cannot_fit() -> None:
    script = scripted()
    script.step(1.0)
    for _ in range(12):
        script.step(1.0, quiet=("hl-whale",))
    for _ in range(6):
        script.step(1.0, quiet=("hl-whale", "hl-iso"))
    snap = script.store.snapshot()
    wide = _text(header_lines(snap, [], 200)[1])
    assert "hl-whale STALE" in wide and "binance-main LIVE" in wide  # every account named when it fits
    narrow = _text(header_lines(snap, [], 60)[1])
    assert "…" not in narrow and len(narrow) <= 60
    # Counted live / not live, the oldest named first; as many named as fit, the rest counted.
    assert narrow.startswith(" feeds 2 live · 2 not live: hl-whale STALE 18s"), narrow
    assert "+1 more" in narrow


async def test_the_selected_alerts_whole_message_is_readable(script: Script) -> None:
    async with app_for(script).run_test(size=(120, 34)) as pilot:
        await advance(pilot, script, 2)
        into_danger(script)
        await advance(pilot, script, 2)
        screen = monitor(pilot)
        table = screen.query_one(AlertsTable)
        for _ in range(2):
            alert = next(a for a in screen.alert_list() if a.id == table.cursor_key)
            assert len(alert.message) > table.column_width("message")  # the table cannot show it all
            detail = screen.query_one("#alert-detail")
            shown = " ".join(str(detail.render()).split())
            assert " ".join(alert.message.split()) in shown
            table.action_cursor_down()
            await settle(pilot)


async def test_the_what_if_liqd_marker_needs_no_sideways_scrolling(script: Script) -> None:
    async with app_for(script).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        for _ in range(3):
            await pilot.press("right_square_bracket")  # +30 %: the short legs are liquidated
        await settle(pilot)
        table = pilot.app.screen.query_one("#what-if-table", KeyedTable)
        assert any(cells[1][0] == "XX LIQD" for cells in (table.cells(k) for k in table.row_keys))
        assert table.virtual_size.width <= table.scrollable_content_region.width + 1
        keys = [c.key for _, c, _ in _shown(table)]
        assert {"name", "status", "liq", "dist"} <= set(keys)
        assert _cut_cells(table) == []
