"""The main screen's layout and data flow: header, the five panes (a grid on large terminals, tabs below
120×34), the footer, and the pull of snapshots into the visible panes.

A timer reads, at ``refresh_hz``, the snapshot the engine last published (liqwatch.monitor_engine: it builds
them and evaluates their alerts, whether or not the screen keeps up); each visible pane diffs its rows by key
and repaints only the lines whose text changed. Hidden panes (folded into tabs) are skipped and catch up when shown.
"""

from __future__ import annotations

from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.containers import Container
from textual.screen import ModalScreen, Screen
from textual.widget import Widget
from textual.widgets import Input, Tab, Tabs

from liqwatch.account_totals import totals
from liqwatch.alerts.model import Alert
from liqwatch.store import MonitorSnapshot
from tui.backend import Backend
from tui.bindings import ALWAYS_SHOWN
from tui.pump import SnapshotPump
from tui.screens.panes import PANE_ORDER, TITLES, Pane
from widgets.alert_detail import AlertDetail
from widgets.detail_view import DetailView
from widgets.header_view import RiskHeader
from widgets.key_bar import KeyBar
from widgets.keyed_table import KeyedTable
from widgets.panes import AccountsTable, AlertsTable, ExposureTable, PositionsTable, SortedTable
from widgets.ports import RecordedAlerts
from widgets.text_clock import Phases, alert_phases, next_change, snooze_phases

FOLD_WIDTH = 120
FOLD_HEIGHT = 34
#: The detail and alerts row of the wide grid: at least, at most.
DETAIL_ROWS = (9, 16)
#: While the alerts pane has the focus its row grows for the selected alert's whole message; the positions
#: pane keeps that many lines, the alerts table that many (its header and two rows).
POSITIONS_KEPT = 6
ALERT_ROWS_KEPT = 3


def _folds(width: int, height: int) -> bool:
    return width < FOLD_WIDTH or height < FOLD_HEIGHT


class PaneTabs(Tabs, can_focus=False):
    """The tab bar of the folded layout; the keyboard stays in the panes (tab / shift+tab)."""


class MonitorLayout(Screen[None]):
    def __init__(self, refresh_hz: float = 4.0, backend: Backend | None = None) -> None:
        super().__init__(id="monitor")
        self.refresh_hz = refresh_hz
        self.backend: Backend | None = backend
        self.pump: SnapshotPump | None = None
        self.active_pane = "positions"
        self.folded: bool | None = None
        self._grid_rows = ""
        self._started = False
        self._subtitles: dict[str, str] = {}
        # What was painted last, to leave a snapshot that brings nothing new unpainted (see _unchanged).
        self._painted: MonitorSnapshot | None = None
        self._painted_alerts: list[Alert] = []
        self._painted_record = "ok"
        self._next_change = 0.0
        self._phases = Phases()
        self._behind = False  # a snapshot came while another screen covered this one: shown once uncovered
        self.paints = 0
        """Snapshots painted (a test seam; ``skipped``: those left unpainted, nothing in them new)."""
        self.skipped = 0

    def compose(self) -> ComposeResult:
        # The layout's classes before the panes are styled (their first styling then is the right one), not
        # added once they are: that restyled the whole screen at every start. _apply_fold does the rest.
        width, height = self.app.size
        self.set_class(_folds(width, height), "-folded", update=False)
        self.set_class(not _folds(width, height), "-wide", update=False)
        yield RiskHeader(id="header")
        yield PaneTabs(*(Tab(TITLES[name], id=name) for name in PANE_ORDER), active=self.active_pane,
                       id="pane-tabs")
        with Container(id="panes"):
            with Pane("accounts"):
                yield AccountsTable(id="accounts")
            with Pane("exposure"):
                yield ExposureTable(id="exposure")
            with Pane("positions"):
                yield PositionsTable(id="positions")
                yield Input(placeholder="filter: words that must all appear (enter keeps, escape clears)",
                            id="filter")
            with Pane("detail"):
                yield DetailView(id="detail")
            with Pane("alerts"):
                yield AlertsTable(id="alerts")
                yield AlertDetail(id="alert-detail")
        yield KeyBar(ALWAYS_SHOWN)

    async def on_mount(self) -> None:
        # The one mount handler of the main screen: Textual calls every class's own on_mount in the MRO, so a
        # subclass's that also called super() ran this twice (two 4 Hz pull timers, the backend attached twice).
        self.query_one("#filter", Input).display = False
        self.set_interval(1.0 / self.refresh_hz, self.tick, name="snapshot-pull")
        self._apply_fold(self.size.width, self.size.height)
        self.focus_pane(self.active_pane)
        if self.backend is not None:
            self.attach(self.backend)
            await self.pull(force=True, settle=False)  # never waits on the alerts: they may be stuck
        self.update_subtitles()

    def attach(self, backend: Backend) -> None:
        self.backend = backend
        self.pump = SnapshotPump(backend.source)
        if not backend.source.running:
            # A backend handed over as it is (tests): its engine runs with the screen, and stops with it.
            backend.source.start()
            self._started = True
        self.sub_title = backend.label
        self.query_one(RiskHeader).label = backend.label
        self.set_subtitle("alerts", "" if backend.alerts else "alerts off")

    async def on_unmount(self) -> None:
        if self._started and self.backend is not None:
            await self.backend.source.stop()

    # --- pulling and showing ---------------------------------------------------------------------------
    async def tick(self) -> None:
        await self.pull(unchanged_skipped=True)

    def _unchanged(self, snap: MonitorSnapshot) -> bool:
        """True when ``snap`` would paint just what is on the screen: every account's view the very object
        painted (the engine reuses an unchanged account's), the same alerts and lateness, and no text shown
        to the second due to change yet (widgets.text_clock). With views rebuilt every time it is False,
        and the panes compare their text instead."""
        last = self._painted
        if last is None or snap.time.timestamp() >= self._next_change or snap.alerts_behind_s != last.alerts_behind_s:
            return False
        if len(snap.accounts) != len(last.accounts) or any(
                a is not b for a, b in zip(snap.accounts, last.accounts, strict=True)):
            return False
        return self.alert_list() == self._painted_alerts and self.record_status() == self._painted_record

    async def pull(self, force: bool = False, settle: bool = True, *,
                   unchanged_skipped: bool = False) -> MonitorSnapshot | None:
        """Show the engine's newest snapshot if it is new (``force``: the engine builds one now and, with
        ``settle``, waits a bounded time for its alerts); the test seam for pilots. ``unchanged_skipped`` (the
        timer's): a snapshot that would paint just what is shown is left unpainted (``_unchanged``)."""
        if self.pump is None:
            return None
        snap = await self.pump.pull(force, settle)  # None: the snapshot shown is still the newest
        if snap is not None:
            if unchanged_skipped and self._unchanged(snap):
                self.skipped += 1
            else:
                self.show_snapshot(snap)
        return snap

    def record_status(self) -> str:
        """The alert record's status (``ok``, or ``unavailable: <reason>``); ``ok`` for alerts kept in memory
        by design (no record to speak of)."""
        port = self.backend.alerts if self.backend is not None else None
        return port.record_status() if isinstance(port, RecordedAlerts) else "ok"

    def covered(self) -> bool:
        """A screen that hides this one is on top: this one does no pane work meanwhile. A dialog does not
        hide it (every ``ModalScreen``: help, what-if, the quit question, snooze, the alert history, the
        command palette): this screen shows around it and through its dimmed background, so it must go on
        showing the newest state, or its clock, figures and alert count would stand still while in view."""
        try:
            stack = self.app.screen_stack
        except Exception:  # no screen stack yet (mounting) or any more (exiting)
            return False
        above = stack[stack.index(self) + 1:] if self in stack else []
        return any(not isinstance(s, ModalScreen) for s in above)

    def on_screen_resume(self) -> None:
        if self._behind:  # uncovered: the newest snapshot at once, not at the next change
            self._behind = False
            self.refresh_panes()

    def show_snapshot(self, snap: MonitorSnapshot) -> None:
        if self.covered():
            self._behind = True
            return
        alerts = self.alert_list()
        self.paints += 1
        self._painted, self._painted_alerts, self._painted_record = snap, alerts, self.record_status()
        self._next_change = next_change(snap.time, self._phases.of(snap.accounts) | alert_phases(alerts),
                                        snooze_phases(alerts))
        header = self.query_one(RiskHeader)
        header.record = self.record_status()
        header.show(snap, alerts)
        # Each settle currency's totals row below the accounts (liqwatch.account_totals) needs a line too.
        self._size_rows(len(snap.accounts) + len(totals(snap)), alerts, snap)
        if self.pane_visible("accounts"):
            self.query_one(AccountsTable).show(snap)
        if self.pane_visible("positions"):
            self.query_one(PositionsTable).show(snap)
        # Always, even folded away: `a` and `z` act on the alerts pane's selection from any pane.
        self.query_one(AlertsTable).show(alerts, snap.time)
        self.show_alert_detail(alerts, snap)
        if self.pane_visible("exposure"):
            self.query_one(ExposureTable).show(snap)
        if self.pane_visible("detail"):
            self.show_detail(snap)

    def _size_rows(self, accounts: int, alerts: list[Alert], snap: MonitorSnapshot) -> None:
        # The accounts row of the wide grid fits every account (up to 10) and no more; the detail row gives
        # the positions their rows (up to 10), down to DETAIL_ROWS[0] lines (README "The screen").
        top = max(7, min(accounts, 10) + 3)
        positions = sum(len(a.positions) + len(a.liquidations) + len(a.unevaluated) for a in snap.accounts)
        room = self.size.height - 3 - top - (min(positions, 10) + 3)  # the header's 2 lines, the footer's 1
        bottom = max(DETAIL_ROWS[0], min(DETAIL_ROWS[1], room))
        if self.focused_pane() == "alerts":  # reading the alerts: the selected one's whole message shows
            most = self.size.height - 3 - top - POSITIONS_KEPT  # the positions pane gives way, down to that
            bottom = max(bottom, min(most, 2 + ALERT_ROWS_KEPT + 1 + self._alert_detail_lines()))
        rows = f"{top} 1fr {bottom}"
        if self._grid_rows != rows:
            self._grid_rows = rows
            self.query_one("#panes").styles.grid_rows = rows
        if self.backend is not None and self.backend.alerts is not None:
            new = sum(1 for a in alerts if a.unattended(snap.time))  # as the header counts them
            label = f"{len(alerts)} active" + (f", {new} new" if new else "") if alerts else "none active"
            if self.query_one(RiskHeader).record != "ok":
                label += " · not recording (h: why)"  # the header has room for the marker only
            self.set_subtitle("alerts", label)

    def _alert_detail_lines(self) -> int:
        """How many lines the selected alert's whole message takes at the alerts pane's width."""
        detail = self.query_one(AlertDetail)
        width = self.query_one(AlertsTable).size.width
        return len(Text(detail.text).wrap(self.app.console, width)) if detail.text and width > 0 else 0

    def show_alert_detail(self, alerts: list[Alert], snap: MonitorSnapshot) -> None:
        key = self.query_one(AlertsTable).cursor_key
        self.query_one(AlertDetail).show(next((a for a in alerts if a.id == key), None), snap.time)

    @on(KeyedTable.CursorMoved, "#alerts")
    def _alert_moved(self) -> None:
        if self.pump is not None and self.pump.latest is not None:
            self.show_alert_detail(self.alert_list(), self.pump.latest)
            if self.focused_pane() == "alerts":
                self.refresh_panes()  # the bottom row fits the newly selected message

    def show_detail(self, snap: MonitorSnapshot) -> None:
        key = self.query_one(PositionsTable).cursor_key
        samples = self.pump.history.samples(key) if key is not None and self.pump is not None else ()
        self.query_one(DetailView).show(snap, key, samples)

    def alert_list(self) -> list[Alert]:
        port = self.backend.alerts if self.backend is not None else None
        return list(port.alerts()) if port is not None else []

    def refresh_panes(self) -> None:
        """Show the latest snapshot again (after a sort, a filter, a pane change)."""
        if self.pump is not None and self.pump.latest is not None:
            self.show_snapshot(self.pump.latest)

    @on(KeyedTable.CursorMoved, "#positions")
    def _position_moved(self) -> None:
        if self.pump is not None and self.pump.latest is not None and self.pane_visible("detail"):
            self.show_detail(self.pump.latest)

    # --- layout and panes ------------------------------------------------------------------------------
    def on_resize(self, event: events.Resize) -> None:
        self._apply_fold(event.size.width, event.size.height)

    def _apply_fold(self, width: int, height: int) -> None:
        folded = _folds(width, height)
        if folded != self.folded:
            self.folded = folded
            self.set_class(folded, "-folded", update=False)  # one restyle of the screen for both classes
            self.set_class(not folded, "-wide")
            self.query_one(KeyBar).compact = folded
            self._mark_active()
            self.refresh_panes()

    def pane_visible(self, name: str) -> bool:
        return self.folded is False or name == self.active_pane

    def pane_target(self, name: str) -> Widget:
        return self.query_one(f"#{name}")

    def focused_pane(self) -> str:
        """The pane the keyboard is in; set as soon as a pane is chosen, before focus settles, so that
        keys pressed in quick succession (tab, tab) each move one pane on."""
        return self.active_pane

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        node: Widget | None = event.widget
        while node is not None and not isinstance(node, Pane):
            node = node.parent if isinstance(node.parent, Widget) else None
        if node is not None and node.pane != self.active_pane:  # a click moved the focus
            self.active_pane = node.pane
            self._mark_active()
            with self.prevent(Tabs.TabActivated):
                self.query_one("#pane-tabs", PaneTabs).active = node.pane

    def focus_pane(self, name: str) -> None:
        self.active_pane = name
        self._mark_active()
        tabs = self.query_one("#pane-tabs", PaneTabs)
        # Only a click on a tab should move the focus: a programmatic change must not echo back.
        with self.prevent(Tabs.TabActivated):
            tabs.active = name
        self.pane_target(name).focus()
        self.refresh_panes()

    def _mark_active(self) -> None:
        for pane in self.query(Pane):
            pane.set_class(pane.pane == self.active_pane, "-active")

    @on(Tabs.TabActivated, "#pane-tabs")
    def _tab_clicked(self, event: Tabs.TabActivated) -> None:
        if event.tab.id is not None and event.tab.id != self.active_pane:
            self.focus_pane(event.tab.id)

    def focused_table(self) -> SortedTable:
        target = self.pane_target(self.focused_pane())
        return target if isinstance(target, SortedTable) else self.query_one(PositionsTable)

    def update_subtitles(self) -> None:
        positions = self.query_one(PositionsTable)
        scope = positions.account or "all accounts"
        filt = f" · filter: {positions.filter_text}" if positions.filter_text else ""
        self.set_subtitle("positions", f"{scope} · sort {positions.sort_label}{filt}")
        for name in ("accounts", "alerts", "exposure"):
            table = self.query_one(f"#{name}", SortedTable)
            if table.sort_column is not None or table.sort_reverse:
                self.set_subtitle(name, f"sort {table.sort_label}")

    def set_subtitle(self, pane: str, text: str) -> None:
        """A pane's bottom-border text; Textual repaints the whole pane on every assignment, so only a
        changed one is assigned."""
        if self._subtitles.get(pane) != text:
            self._subtitles[pane] = text
            self.query_one(f"#{pane}-pane", Pane).border_subtitle = text
