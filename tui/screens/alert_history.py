"""Alert history (``h``): this session's alert events, newest first."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from liqwatch.alerts.model import AlertEvent
from tui.bindings import ALWAYS_SHOWN, CLOSE_BINDINGS
from widgets.alert_detail import AlertDetail
from widgets.header_lines import record_note
from widgets.key_bar import KeyBar
from widgets.keyed_table import KEEP, Column, KeyedTable, Row
from widgets.levels import alert_cell

#: As the main tables (widgets.keyed_table.Column): the level and the message never give way, the message
#: takes the width left over (its whole text: the line under the table); the event kind goes first.
COLUMNS = (
    Column("time", "time (UTC)", 19, "left", priority=1),
    Column("kind", "event", 12, "left", priority=2),
    Column("level", "level", 8, "left", KEEP),
    Column("message", "alert", 20, "left", KEEP, flex=True),
)


def history_rows(events: Sequence[AlertEvent]) -> tuple[list[str], dict[str, Row]]:
    order: list[str] = []
    rows: dict[str, Row] = {}
    for i, e in enumerate(reversed(events)):
        key = str(i)
        order.append(key)
        rows[key] = ((f"{e.time:%Y-%m-%d %H:%M:%S}", "muted"), (e.kind.value, ""), alert_cell(e.alert.level),
                     (e.alert.message, ""))
    return order, rows


class AlertHistoryScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = CLOSE_BINDINGS

    def __init__(self, events: Sequence[AlertEvent], record: str = "ok") -> None:
        super().__init__(id="alert-history")
        self.events = tuple(events)
        self.record = record  # the record's status: why the header says NOT RECORDING is told here

    def compose(self) -> ComposeResult:
        with Vertical(id="history-box"):
            note = record_note(self.record)
            if note is not None:
                yield Static(note, id="history-record")
            yield KeyedTable(COLUMNS, id="history-table")
            yield AlertDetail(id="history-detail")  # the selected event's whole message, however narrow
        yield KeyBar(ALWAYS_SHOWN)

    def on_mount(self) -> None:
        box = self.query_one("#history-box")
        box.border_title = "Alert history (this session)"
        box.border_subtitle = f"{len(self.events)} events · escape closes"
        table = self.query_one(KeyedTable)
        table.set_rows(*history_rows(self.events))
        table.focus()

    @on(KeyedTable.CursorMoved, "#history-table")
    def _event_moved(self, event: KeyedTable.CursorMoved) -> None:
        if event.key is not None:  # the rows' keys count from the newest event
            chosen = self.events[len(self.events) - 1 - int(event.key)]
            self.query_one(AlertDetail).show(chosen.alert, chosen.time)

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)
