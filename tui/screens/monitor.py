"""The main screen's keys: pane navigation, detail, account detail, filter, sort, alerts, what-if."""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import BindingType
from textual.widgets import Input

from liqwatch.alerts.model import Alert
from tui.bindings import MONITOR_BINDINGS
from tui.screens.account_info import AccountInfoScreen
from tui.screens.alert_history import AlertHistoryScreen
from tui.screens.monitor_layout import MonitorLayout
from tui.screens.panes import PANE_ORDER
from tui.screens.snooze import SnoozeScreen
from tui.screens.what_if import WhatIfScreen
from widgets.account_rows import TOTAL_KEY
from widgets.panes import AccountsTable, AlertsTable, PositionsTable


class MonitorScreen(MonitorLayout):
    BINDINGS: ClassVar[list[BindingType]] = MONITOR_BINDINGS

    # --- panes -----------------------------------------------------------------------------------------
    def action_next_pane(self) -> None:
        self._step_pane(1)

    def action_prev_pane(self) -> None:
        self._step_pane(-1)

    def _step_pane(self, step: int) -> None:
        i = PANE_ORDER.index(self.focused_pane())
        self.focus_pane(PANE_ORDER[(i + step) % len(PANE_ORDER)])

    def action_open_detail(self) -> None:
        """Enter: an account's positions, a position's detail, an alert's account."""
        pane = self.focused_pane()
        if pane == "positions":
            self.focus_pane("detail")
            return
        account = None
        if pane == "accounts":
            account = self.query_one(AccountsTable).cursor_key
        elif pane == "alerts":
            alert = self._selected_alert()
            account = alert.key.account if alert is not None else None
        if account is not None and account.startswith(TOTAL_KEY):
            self.action_all_positions()  # a totals row: every account's positions
            self.focus_pane("positions")
            return
        if account is not None:
            self.query_one(PositionsTable).account = account
            self.update_subtitles()
            self.focus_pane("positions")

    def action_account_info(self) -> None:
        """``i``: the account detail of the selected account, position or alert (else the positions' account,
        else the first account): its channels, their errors and retries, why it is disabled."""
        if self.backend is None or self.pump is None or self.pump.latest is None:
            self.notify("No data yet", severity="warning")
            return
        selected = self._selected_account()
        if selected is not None and selected.startswith(TOTAL_KEY):  # not one account's: open none of them
            self.notify(f"{selected.strip()} sums several accounts: select one for its detail", severity="warning")
            return
        account = selected or self.query_one(PositionsTable).account
        names = [a.name for a in self.pump.latest.accounts]
        if account not in names:
            account = names[0] if names else None
        if account is None:
            self.notify("No account", severity="warning")
            return
        self.app.push_screen(AccountInfoScreen(self.backend.source, account))

    def _selected_account(self) -> str | None:
        pane = self.focused_pane()
        if pane == "accounts":
            return self.query_one(AccountsTable).cursor_key
        if pane in ("positions", "detail"):
            key = self.query_one(PositionsTable).cursor_key
            return key.split("|", 1)[0] if key else None
        if pane == "alerts":
            alert = self._selected_alert()
            return alert.key.account if alert is not None and alert.key.account else None
        return None

    def action_all_positions(self) -> None:
        self.query_one(PositionsTable).account = None
        self.update_subtitles()
        self.refresh_panes()

    def action_back(self) -> None:
        """Escape: clear the filter, else widen the positions back to every account."""
        box = self.query_one("#filter", Input)
        positions = self.query_one(PositionsTable)
        if box.display or positions.filter_text:
            box.value = ""
            box.display = False
            positions.set_filter("")
            self.focus_pane("positions")
        elif positions.account is not None:
            self.action_all_positions()
        self.update_subtitles()

    # --- filter and sort -------------------------------------------------------------------------------
    def action_filter(self) -> None:
        self.focus_pane("positions")
        box = self.query_one("#filter", Input)
        box.value = self.query_one(PositionsTable).filter_text
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.query_one(PositionsTable).set_filter(event.value)
        self.update_subtitles()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self, event: Input.Submitted) -> None:
        event.input.display = False
        self.focus_pane("positions")

    def action_sort_next(self) -> None:
        self.focused_table().next_sort()
        self.update_subtitles()

    def action_sort_reverse(self) -> None:
        self.focused_table().reverse_sort()
        self.update_subtitles()

    # --- alerts ----------------------------------------------------------------------------------------
    def _selected_alert(self) -> Alert | None:
        key = self.query_one(AlertsTable).cursor_key
        return next((a for a in self.alert_list() if a.id == key), None)

    async def action_ack(self) -> None:
        alert = self._selected_alert()
        port = self.backend.alerts if self.backend is not None else None
        if port is None or alert is None:
            self.notify("No alert selected", severity="warning")
            return
        await port.ack(alert.id)
        self.refresh_panes()

    async def action_ack_all(self) -> None:
        port = self.backend.alerts if self.backend is not None else None
        if port is None or not self.alert_list():
            self.notify("No active alert", severity="warning")
            return
        count = await port.ack_all()
        self.notify(f"Acknowledged {count} alert{'s' if count != 1 else ''}")
        self.refresh_panes()

    def action_snooze(self) -> None:
        alert = self._selected_alert()
        port = self.backend.alerts if self.backend is not None else None
        if port is None or alert is None:
            self.notify("No alert selected", severity="warning")
            return

        async def snoozed(seconds: float | None) -> None:
            if seconds is not None:
                await port.snooze(alert.id, seconds)
                self.refresh_panes()

        self.app.push_screen(SnoozeScreen(alert.message), snoozed)

    def action_alert_history(self) -> None:
        port = self.backend.alerts if self.backend is not None else None
        self.app.push_screen(AlertHistoryScreen(port.history() if port is not None else (), self.record_status()))

    # --- what-if ---------------------------------------------------------------------------------------
    def action_what_if(self) -> None:
        if self.backend is None or self.pump is None or self.pump.latest is None:
            self.notify("No data yet", severity="warning")
            return
        self.app.push_screen(WhatIfScreen(self.pump.latest, self.backend.source))
