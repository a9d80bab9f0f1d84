"""``KeyedRows``: the rows of a ``KeyedTable`` by key, and what a new set of rows repaints.

A row whose cells are the same objects (or equal) as those shown costs a comparison; a changed row asks for
the region of its changed cells only, and only if it is in view and those columns are shown; the same rows
in another order repaint the lines whose row is another one. Only other rows (a filter, another account)
measure the columns afresh and repaint the view. The painting itself is ``KeyedTable``'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from textual.geometry import Region, Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from widgets.row_diff import ColumnLengths, Row, changed_columns
from widgets.table_columns import Column

_P = "keyed-table"


class KeyedRows(ScrollView):
    def __init__(self, columns: Sequence[Column], *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.columns = tuple(columns)
        self._order: tuple[str, ...] = ()
        self._index: dict[str, int] = {}
        self._rows: dict[str, Row] = {}
        self._lengths = ColumnLengths(len(self.columns))  # each row's cell widths, for the columns' widths
        self._strips: dict[tuple[str, str], Strip] = {}
        self._cursor = 0
        self._cursor_key: str | None = None
        self._shown: tuple[int, ...] = ()
        self._col_widths: tuple[int, ...] = tuple(c.width for c in self.columns)
        self._col_x: tuple[int, ...] = ()  # each shown column's x in the row (set by the layout)
        self._total_width = 0
        self.rows_rendered = 0
        """Body lines rendered since mount: a test seam for "nothing repainted when nothing changed"."""
        self.cells_repainted = 0
        """Cells in view whose repaint was asked for since mount (a whole line counts its shown cells)."""
        self.cell_log: list[tuple[str, str]] | None = None
        """Set to a list to record each cell repainted as (row key, column key): a test seam."""

    def _relayout(self, fresh: bool = False) -> bool:
        raise NotImplementedError

    def _move_cursor(self, index: int, force: bool = False) -> None:
        raise NotImplementedError

    def set_rows(self, order: Sequence[str], rows: Mapping[str, Row]) -> int:
        """Show ``rows`` in ``order``; returns how many rows will be repainted (0: nothing changed).

        By key: a row whose cells are the same objects or equal costs a comparison; a changed row has only
        its changed cells' region repainted (if shown and in view); the same rows in another order repaint
        only the lines whose row is another one. Other rows (a filter, another account) measure the columns
        afresh and repaint the view."""
        new_order = tuple(order)
        old_order = self._order
        fresh = new_order != old_order and (len(new_order) != len(old_order) or set(new_order) != self._index.keys())
        old_rows = self._rows
        new_rows: dict[str, Row] = {}
        changed: dict[str, list[int]] = {}
        widths_moved = False
        lengths = self._lengths
        for key in new_order:
            row = rows[key]
            new_rows[key] = row
            old = old_rows.get(key)
            if old is None:
                lengths.add(key, row)
                widths_moved = True
            elif old is not row:
                columns = changed_columns(old, row)
                if columns:
                    changed[key] = columns
                    widths_moved = lengths.update(key, row, columns) or widths_moved
        if fresh:
            for key in old_order:
                if key not in new_rows:
                    lengths.remove(key)
                    self._drop_strips(key)
            widths_moved = True
        self._rows = new_rows
        for key in changed:
            self._drop_strips(key)
        if fresh or new_order != old_order:
            self._order = new_order
            self._index = {k: i for i, k in enumerate(new_order)}
        if fresh:
            # Other rows: the columns are measured and chosen afresh, and the view is painted again.
            self.virtual_size = Size(self._total_width, len(new_order) + 1)
            self._relayout(fresh=True)
            self._follow_cursor()
            self._full_repaint()
            return len(new_order)
        if widths_moved and self._relayout():
            self._follow_cursor()
            self._full_repaint()
            return len(new_order)
        if new_order != old_order:
            self._follow_cursor()
            return self._repaint_moved(old_order, changed)
        return self._repaint_cells(changed)

    def _follow_cursor(self) -> None:
        keep = self._cursor_key
        self._move_cursor(self._index.get(keep, self._cursor) if keep is not None else self._cursor, force=True)

    def _visible_rows(self) -> range:
        top = int(self.scroll_y)
        return range(top, min(len(self._order), top + max(0, self.size.height - 1)))

    def _full_repaint(self) -> None:
        self.refresh()
        self._count_repaint(len(self._visible_rows()) * len(self._shown))

    def _count_repaint(self, cells: int, key: str | None = None, columns: Sequence[int] = ()) -> None:
        self.cells_repainted += cells
        if self.cell_log is not None and key is not None:
            self.cell_log.extend((key, self.columns[i].key) for i in columns)

    def _repaint_moved(self, old_order: tuple[str, ...], changed: Mapping[str, list[int]]) -> int:
        """The same rows in another order: the lines in view whose row is another one, or changed."""
        view = self._visible_rows()
        lines = sum(1 for key in changed if self._index[key] not in view)  # painted when scrolled to
        for index in view:
            key = self._order[index]
            if key in changed or index >= len(old_order) or old_order[index] != key:
                self._refresh_index(index)
                self._count_repaint(len(self._shown), key, self._shown)
                lines += 1
        return lines

    def _repaint_cells(self, changed: Mapping[str, list[int]]) -> int:
        """Rows in place: the region of each row's changed cells that are shown, if the row is in view."""
        view = self._visible_rows()
        shown = set(self._shown)
        lines = 0
        for key, columns in changed.items():
            cols = [i for i in columns if i in shown]
            if not cols:
                continue  # only columns the width leaves out: nothing on the screen changed
            index = self._index[key]
            if index not in view:
                lines += 1  # painted when scrolled to, from the row's new cells
                continue
            y = index - int(self.scroll_y) + 1
            if self.scroll_x or any(i >= len(self._col_x) for i in cols):
                self.refresh(Region(0, y, self.size.width, 1))
            else:
                x0 = self._col_x[min(cols)]
                x1 = self._col_x[max(cols)] + self._col_widths[max(cols)]
                self.refresh(Region(x0, y, x1 - x0, 1))
            self._count_repaint(len(cols), key, cols)
            lines += 1
        return lines

    def _drop_strips(self, key: str) -> None:
        self._strips.pop((key, ""), None)
        self._strips.pop((key, f"{_P}--cursor"), None)
        self._strips.pop((key, f"{_P}--cursor-blur"), None)

    def _refresh_index(self, index: int) -> None:
        y = index - int(self.scroll_y) + 1
        if 1 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

