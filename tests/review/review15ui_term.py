"""A terminal that keeps what the App wrote to it, update by update (review of the screen's skip work).

The App under ``run_test`` is headless: its compositor still makes every update (a full layout, or the chops of
the dirty regions) and hands it to ``App._display``, which writes nothing. Here each update is applied to a
grid of characters as a terminal would: what is on the grid is what a trader would see, stale text included.
``truth`` is the screen rendered afresh from every widget's current state, with every cache dropped.
"""

from __future__ import annotations

from typing import Any

from rich.cells import cell_len
from rich.segment import ControlType
from textual.app import App
from textual.widget import Widget

from widgets.keyed_table import KeyedTable
from widgets.text_lines import TextLines


class Terminal:
    def __init__(self, app: App[Any]) -> None:
        self.app = app
        self.width, self.height = app.size
        self.grid = [[" "] * self.width for _ in range(self.height)]
        self.updates = 0
        real = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None and hasattr(renderable, "render_segments"):
                self.apply(renderable)
            real(screen, renderable)

        app._display = display  # type: ignore[method-assign]

    def _fit(self) -> None:
        # A terminal resized keeps what it showed where it still fits (tmux, xterm): blanks elsewhere.
        width, height = self.app.size
        if (width, height) != (self.width, self.height):
            old = self.grid
            self.grid = [[old[y][x] if y < len(old) and x < len(old[y]) else " " for x in range(width)]
                         for y in range(height)]
            self.width, self.height = width, height

    def apply(self, update: Any) -> None:
        self._fit()
        self.updates += 1
        console = self.app.console
        x = y = 0
        for seg in update.__rich_console__(console, console.options):
            if seg.control:
                for code in seg.control:
                    if code[0] == ControlType.CURSOR_MOVE_TO:
                        x, y = int(code[1]), int(code[2])
                continue
            if seg.text == "\n":
                continue  # each line of an update starts with its own move
            for ch in seg.text:
                w = cell_len(ch)
                if 0 <= y < self.height and 0 <= x < self.width:
                    self.grid[y][x] = ch
                    if w == 2 and x + 1 < self.width:
                        self.grid[y][x + 1] = ""
                x += w

    def text(self) -> list[str]:
        self._fit()
        return ["".join(row) for row in self.grid]


def drop_caches(app: App[Any]) -> None:
    """Every widget of the top screen painted again from its state: nothing kept from an earlier paint."""
    for widget in app.screen.walk_children(with_self=True):
        if not isinstance(widget, Widget):
            continue
        if isinstance(widget, KeyedTable):
            widget._strips.clear()
            widget._header = None
        if isinstance(widget, TextLines):
            widget._strips.clear()
        widget._styles_cache.clear()
        widget.refresh()
    app.screen.refresh(repaint=True)


def truth(app: App[Any]) -> list[str]:
    """The screen as rendered now from every widget's state, with every cache dropped (not yet written)."""
    drop_caches(app)
    screen = app.screen
    update = screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    shadow = Terminal.__new__(Terminal)
    shadow.app = app
    shadow.width, shadow.height = app.size
    shadow.grid = [[" "] * shadow.width for _ in range(shadow.height)]
    shadow.updates = 0
    shadow.apply(update)
    return shadow.text()
