"""The main screen's panes: their order for tab navigation, and the container each table sits in."""

from __future__ import annotations

from textual.containers import Vertical

#: Tab order; the wide layout places them by CSS grid.
PANE_ORDER = ("accounts", "positions", "detail", "alerts", "exposure")
TITLES = {"accounts": "Accounts", "positions": "Positions", "detail": "Detail", "alerts": "Alerts",
          "exposure": "Exposure"}


class Pane(Vertical):
    """A bordered pane; ``name`` is its entry in ``PANE_ORDER`` and the id of the widget that takes focus."""

    def __init__(self, name: str) -> None:
        super().__init__(id=f"{name}-pane", classes="pane")
        self.pane = name
        self.border_title = TITLES[name]
