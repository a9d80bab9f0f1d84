"""Snooze (``z``): quiet the selected alert for a while; 1-4 pick a duration, or tab and type one (90s,
15m, 2h)."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from liqwatch.storage.timefmt import parse_duration
from tui.bindings import SNOOZE_BINDINGS


class SnoozeScreen(ModalScreen[float | None]):
    BINDINGS: ClassVar[list[BindingType]] = SNOOZE_BINDINGS
    AUTO_FOCUS = ""  # 1-4 choose at once; tab moves to the duration field

    def __init__(self, message: str) -> None:
        super().__init__(id="snooze")
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(id="snooze-box", classes="dialog"):
            yield Static(f"Snooze: {self.message}", id="snooze-alert")
            yield Static("1  5 minutes    2  15 minutes    3  1 hour    4  4 hours    escape  cancel")
            yield Input(placeholder="or tab, type a duration (90s, 15m, 2h) and press enter", id="snooze-input")

    def on_mount(self) -> None:
        self.query_one("#snooze-box").border_title = "Snooze"

    def action_choose(self, seconds: float) -> None:
        self.dismiss(seconds)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @on(Input.Submitted, "#snooze-input")
    def _typed(self, event: Input.Submitted) -> None:
        try:
            self.dismiss(parse_duration(event.value))
        except ValueError as exc:
            self.notify(str(exc), severity="error")
