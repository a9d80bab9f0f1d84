"""The panes' tables: each builds its rows from a snapshot, then sorts and filters them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from liqwatch.alerts.model import Alert
from liqwatch.store import MonitorSnapshot
from widgets import account_rows, alert_rows, exposure_rows, position_rows
from widgets.keyed_table import Column, KeyedTable
from widgets.position_cache import PositionRows
from widgets.table_model import Entry, filter_entries, sort_entries


class SortedTable(KeyedTable):
    """A ``KeyedTable`` with a sort column (``None``: the builder's own order) and a filter."""

    def __init__(self, columns: Sequence[Column], *, fixed_columns: int = 0, id: str | None = None) -> None:
        super().__init__(columns, fixed_columns=fixed_columns, id=id)
        self.sort_column: int | None = None
        self.sort_reverse = False
        self.filter_text = ""
        self._entries: list[Entry] = []
        self._footer: list[Entry] = []

    def show_entries(self, entries: list[Entry], footer: list[Entry] | None = None) -> int:
        """``entries`` sorted and filtered, then ``footer`` (totals rows) below them, neither sorted nor
        filtered."""
        self._entries = entries
        if footer is not None:
            self._footer = footer
        shown = filter_entries(sort_entries(entries, self.sort_column, self.sort_reverse), self.filter_text)
        shown += self._footer
        return self.set_rows([e.key for e in shown], {e.key: e.cells for e in shown})

    def next_sort(self) -> str:
        """Cycle the sort column: the builder's order, then each column shown in turn."""
        shown = [i for i, c in enumerate(self.columns) if c in self.shown_columns]
        later = [i for i in shown if self.sort_column is None or i > self.sort_column]
        self.sort_column = later[0] if later else None
        self.sort_reverse = False
        return self._resort()

    def reverse_sort(self) -> str:
        self.sort_reverse = not self.sort_reverse
        return self._resort()

    def set_filter(self, text: str) -> None:
        self.filter_text = text
        self.show_entries(self._entries)

    @property
    def sort_label(self) -> str:
        label = "default order" if self.sort_column is None else self.columns[self.sort_column].label
        return f"{label} {'▼' if self.sort_reverse else '▲'}"

    def _resort(self) -> str:
        self.set_sort_marker(self.sort_column, self.sort_reverse)
        self.show_entries(self._entries)
        return self.sort_label


class AccountsTable(SortedTable):
    def __init__(self, id: str | None = None) -> None:
        super().__init__(account_rows.COLUMNS, fixed_columns=1, id=id)

        self.rows = account_rows.AccountRows()

    def show(self, snap: MonitorSnapshot) -> int:
        rows = self.rows.entries(snap)
        if rows is None:
            return 0  # every account's view is the one shown
        return self.show_entries(*rows)


class PositionsTable(SortedTable):
    def __init__(self, id: str | None = None) -> None:
        super().__init__(position_rows.COLUMNS, fixed_columns=position_rows.FIXED_COLUMNS, id=id)
        self.account: str | None = None  # None: every account's positions
        self.rows = PositionRows()
        # Closest to liquidation first until the trader picks another order.
        self.sort_column = [c.key for c in self.columns].index("dist")
        self.set_sort_marker(self.sort_column, False)

    def show(self, snap: MonitorSnapshot) -> int:
        entries = self.rows.entries(snap, self.account)
        if entries is self._entries:
            return 0  # not one row changed: nothing to sort, filter or compare
        return self.show_entries(entries)


class AlertsTable(SortedTable):
    def __init__(self, id: str | None = None) -> None:
        super().__init__(alert_rows.COLUMNS, id=id)

    def show(self, alerts: Sequence[Alert], now: datetime) -> int:
        return self.show_entries(alert_rows.alert_entries(alerts, now))


class ExposureTable(SortedTable):
    def __init__(self, id: str | None = None) -> None:
        super().__init__(exposure_rows.COLUMNS, fixed_columns=1, id=id)

        self.rows = exposure_rows.ExposureRows()

    def show(self, snap: MonitorSnapshot) -> int:
        entries = self.rows.entries(snap)
        return 0 if entries is None else self.show_entries(entries)
