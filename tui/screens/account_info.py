"""The account detail (``i``): each channel's state, age, last error and next retry, and why the account is
disabled; re-read from the engine's newest snapshot once a second (never from the live feeds)."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.bindings import CLOSE_BINDINGS, SCROLL_BINDINGS
from widgets.account_info import account_info_text
from widgets.ports import MonitorSource


class AccountInfoScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*CLOSE_BINDINGS, *SCROLL_BINDINGS]

    def __init__(self, source: MonitorSource, account: str) -> None:
        super().__init__(id="account-info")
        self.source = source
        self.account = account
        self._shown: str | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="account-info-box"):
            yield Static("", id="account-info-text", markup=False)

    def on_mount(self) -> None:
        box = self.query_one("#account-info-box")
        box.border_title = f"Account {self.account}"
        box.border_subtitle = "escape closes · j/k scroll"
        box.focus()
        self.render_info()
        self.set_interval(1.0, self.render_info, name="account-info")

    def render_info(self) -> None:
        snap = self.source.latest
        view = next((a for a in snap.accounts if a.name == self.account), None) if snap is not None else None
        text = account_info_text(view, snap.time) if view is not None and snap is not None else \
            f"{self.account}: no data yet"
        if text != self._shown:  # a new text lays the box out again; the same one must not (nor move the scroll)
            self._shown = text
            self.query_one("#account-info-text", Static).update(text)

    def action_scroll_text(self, lines: int) -> None:
        # Immediate: a deferred scroll is computed from the position before the refresh, so keys pressed
        # faster than the screen refreshes (a loaded machine, a slow SSH link) each lost a line.
        self.query_one("#account-info-box", VerticalScroll).scroll_relative(y=lines, animate=False, immediate=True)

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)
