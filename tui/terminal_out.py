"""The alerts' bell and OSC notifications, written through Textual's own output.

Textual owns the terminal while the App runs; bytes written beside it could land in the middle of a frame's
escape sequence. Its driver's writer is where ``App.bell()`` and the clipboard's OSC 52 go too, so an alert's
BEL or OSC 9/777/99 (tmux-wrapped where needed) goes out whole, between frames.
"""

from __future__ import annotations

from typing import Any

from textual.app import App


class AppTerminal:
    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self.written = 0

    def write(self, data: bytes, /) -> int:
        driver = self._app._driver  # private, but public App.bell() writes through it the same way
        if driver is not None:
            driver.write(data.decode("utf-8", "replace"))
            self.written += len(data)
        return len(data)

    def flush(self) -> None:
        driver = self._app._driver
        if driver is not None:
            driver.flush()
