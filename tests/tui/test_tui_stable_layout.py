"""The layout holds still while figures tick (issue 12, review): sticky column widths, the sort column kept,
and the alert history's detail line."""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult

from tests.tui.pilot_helpers import app_for, history_after_danger
from tests.tui.scripted import scripted
from tui.themes import THEMES
from widgets.alert_detail import AlertDetail
from widgets.keyed_table import KEEP, Column, KeyedTable, choose_columns

COLUMNS = (Column("id", "id", 2, "left", KEEP), Column("a", "a", 4, priority=1), Column("b", "b", 4, priority=2))


class _One(App[None]):
    CSS: ClassVar[str] = "KeyedTable { width: 16; height: 5; }"

    def __init__(self) -> None:
        super().__init__()
        for theme in THEMES.values():
            self.register_theme(theme)
        self.theme = THEMES["dark"].name

    def compose(self) -> ComposeResult:
        yield KeyedTable(COLUMNS)


def _rows(a: str, keys: tuple[str, ...] = ("x",)) -> dict[str, tuple[tuple[str, str], ...]]:
    return {k: ((k, ""), (a, ""), ("b", "")) for k in keys}


async def test_a_column_never_narrows_while_the_rows_stay_and_the_columns_stay_put() -> None:
    async with _One().run_test(size=(40, 10)) as pilot:
        table = pilot.app.query_one(KeyedTable)
        table.set_rows(["x"], _rows("1"))
        await pilot.pause()
        assert [c.key for c in table.shown_columns] == ["id", "a", "b"]  # 2 + 4 + 4 + 2 blanks, 4 spare
        table.set_rows(["x"], _rows("123456"))  # 2 cells wider: still fits, nothing goes
        await pilot.pause()
        assert [c.key for c in table.shown_columns] == ["id", "a", "b"]
        table.set_rows(["x"], _rows("1"))  # narrower again: the width stays (no column comes and goes)
        assert table.column_width("a") == 6
        table.set_rows(["y"], _rows("1", ("y",)))  # other rows: measured afresh
        assert table.column_width("a") == 4


def test_the_sort_column_is_never_left_out() -> None:
    assert choose_columns(COLUMNS, [2, 4, 4], 7) == (0, 1)
    assert choose_columns(COLUMNS, [2, 4, 4], 7, keep=(2,)) == (0, 2)


async def test_the_alert_history_shows_the_selected_events_whole_message() -> None:
    script = scripted()
    async with app_for(script).run_test(size=(80, 24)) as pilot:
        history = await history_after_danger(pilot, script)
        detail = history.query_one(AlertDetail)
        assert history.events[-1].alert.message in detail.text and detail.display


async def test_the_table_keeps_its_sort_column_shown() -> None:
    async with _One().run_test(size=(40, 10)) as pilot:
        table = pilot.app.query_one(KeyedTable)
        table.set_rows(["x"], _rows("1234567890"))  # 2 + 10 + 4 + 2 blanks: over 16 - 3 spare
        await pilot.pause()
        assert [c.key for c in table.shown_columns] == ["id", "a"]
        table.set_sort_marker(2, False)  # sorted by b: b stays, a gives way
        assert [c.key for c in table.shown_columns] == ["id", "b"]
