"""Help (``?``): every key in force (remapped ones included), what the markers mean, how to remap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from tui.bindings import CLOSE_BINDINGS, SCROLL_BINDINGS, key_help

LEGEND = """\
Markers (colour is never the only signal)
  OK · ! WARN · !! CRIT · !!! LIQ (alert: liquidation imminent) · XX LIQD (liquidated) · ? STALE
  risk: maintenance margin / equity, 1.00 = liquidation; the gauge fills towards 1.00
  a value whose feed is not LIVE is dimmed and shows its age ("old 12s", "STALE 12s")
  plot: • mark   ┄ entry (E)   ━ liquidation (L)

Themes (t cycles): dark · light · colorblind (Okabe-Ito, no red/green) · monochrome (no colour)

Remap keys in the configuration file, by action name:
  [ui.bindings]
  quit = "ctrl+q"
  what_if = "w,f6"
"""


def help_text(keymap: Mapping[str, str]) -> str:
    lines: list[str] = []
    group = ""
    for k in key_help(keymap):
        if k.group != group:
            group = k.group
            lines += ["", group]
        lines.append(f"  {k.keys:<18} {k.description:<20} {k.id}")
    return "Keys                 what                 action name (for [ui.bindings])" + "\n".join(lines) \
        + "\n\n" + LEGEND


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [*CLOSE_BINDINGS, *SCROLL_BINDINGS]

    def __init__(self, keymap: Mapping[str, str]) -> None:
        super().__init__(id="help")
        self.keymap = dict(keymap)

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(help_text(self.keymap), id="help-text", markup=False)

    def on_mount(self) -> None:
        box = self.query_one("#help-box")
        box.border_title = "liqwatch keys"
        box.border_subtitle = "escape or ? closes · j/k scroll"
        box.focus()

    def action_scroll_text(self, lines: int) -> None:
        # Immediate: a deferred scroll is computed from the position before the refresh, so keys pressed
        # faster than the screen refreshes (a loaded machine, a slow SSH link) each lost a line.
        self.query_one("#help-box", VerticalScroll).scroll_relative(y=lines, animate=False, immediate=True)

    def action_dismiss_screen(self) -> None:
        self.dismiss(None)
