"""The line under the alerts pane: the selected alert's whole message, wrapped, however narrow the pane (the
table's message column shows as much as its width leaves room for)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from liqwatch.alerts.model import Alert
from widgets.alert_rows import ack_state
from widgets.levels import alert_cell


def alert_detail_text(alert: Alert | None, now: datetime) -> str:
    if alert is None:
        return ""
    level = alert_cell(alert.level)[0]
    state = ack_state(alert, now)[0]
    # The account, unless the message already names it (most do).
    about = f" {alert.key.account}" if alert.key.account and alert.key.account not in alert.message else ""
    return f"{level} {state} {alert.raised_at:%H:%M:%S}Z{about}: {alert.message}"


class AlertDetail(Static):
    """Hidden while no alert is selected; as tall as the whole message (the screen grows the alerts row for it
    while the pane has the focus), the table keeps at least its header and two rows."""

    DEFAULT_CSS = """
    AlertDetail { height: auto; border-top: solid $panel-lighten-2;
                  background: $surface; color: $foreground; }
    #alerts { min-height: 3; }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.text = ""
        self.display = False

    def show(self, alert: Alert | None, now: datetime) -> None:
        text = alert_detail_text(alert, now)
        if text != self.text:
            self.text = text
            self.update(Text(text))
            self.display = bool(text)
