"""The two header lines above the panes."""

from __future__ import annotations

from collections.abc import Sequence

from textual import events

from liqwatch.alerts.model import Alert
from liqwatch.store import MonitorSnapshot
from widgets.header_lines import header_lines
from widgets.text_lines import TextLines


class RiskHeader(TextLines):
    DEFAULT_CSS = """
    RiskHeader { height: 2; background: $panel; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._last: tuple[MonitorSnapshot, Sequence[Alert]] | None = None
        self.label = ""
        self.record = "ok"

    def show(self, snap: MonitorSnapshot, alerts: Sequence[Alert]) -> int:
        self._last = (snap, alerts)
        return self.set_lines(header_lines(snap, alerts, self.size.width or 80, self.label, self.record))

    def on_resize(self, event: events.Resize) -> None:
        if self._last is not None:
            self.show(*self._last)
