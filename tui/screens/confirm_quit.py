"""Quit while alerts are active: ask first (``y`` quits, ``n`` or escape stays)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.bindings import CONFIRM_BINDINGS


class ConfirmQuitScreen(ModalScreen[bool]):
    BINDINGS: ClassVar[list[BindingType]] = CONFIRM_BINDINGS

    def __init__(self, active: int, attention: int) -> None:
        super().__init__(id="confirm-quit")
        self.active = active
        self.attention = attention

    def compose(self) -> ComposeResult:
        new = f", {self.attention} not acknowledged" if self.attention else ""
        with Vertical(id="confirm-box", classes="dialog"):
            yield Static(f"{self.active} alert{'s are' if self.active != 1 else ' is'} active{new}.")
            yield Static("Quit anyway?   y  quit    n / escape  stay")

    def on_mount(self) -> None:
        self.query_one("#confirm-box").border_title = "Quit liqwatch?"

    def action_answer(self, quit_: bool) -> None:
        self.dismiss(quit_)
