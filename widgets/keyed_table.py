"""``KeyedTable``: rows by key, fixed column widths, and a repaint of only the rows whose text changed.

Textual's DataTable invalidates the render cache of every visible cell when any one cell changes; painting
costs 0.11-0.17 ms per visible cell per frame, so a 200-row position list ticking once a second would keep
a core busy. Here each row keeps its rendered strip until its cells' text changes, and only the region of
its changed cells is refreshed (widgets.keyed_rows). Setting identical rows repaints nothing at all; a changed
order repaints only the lines in view whose row is another one; other rows (a filter) repaint the view once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Region, Size
from textual.message import Message
from textual.strip import Strip

from widgets.keyed_rows import _P, KeyedRows
from widgets.row_diff import Cell as Cell
from widgets.row_diff import Row as Row
from widgets.styled import TagStyles
from widgets.table_columns import HYSTERESIS as HYSTERESIS
from widgets.table_columns import KEEP as KEEP
from widgets.table_columns import OPTIONAL as OPTIONAL
from widgets.table_columns import SHRINK as SHRINK
from widgets.table_columns import Column as Column
from widgets.table_columns import choose_columns as choose_columns
from widgets.table_columns import fit as fit

#: The table's keys; their ids are the action names users remap in ``[ui.bindings]``.
TABLE_BINDINGS: list[BindingType] = [
    Binding("j,down", "cursor_down", "Down", show=False, id="cursor_down"),
    Binding("k,up", "cursor_up", "Up", show=False, id="cursor_up"),
    Binding("pagedown", "page_down", "Page down", show=False, id="page_down"),
    Binding("pageup", "page_up", "Page up", show=False, id="page_up"),
    Binding("home,g", "cursor_top", "First row", show=False, id="cursor_top"),
    Binding("end,G", "cursor_bottom", "Last row", show=False, id="cursor_bottom"),
    Binding("left", "scroll_columns(-8)", "Scroll left", show=False, id="scroll_left"),
    Binding("right", "scroll_columns(8)", "Scroll right", show=False, id="scroll_right"),
]


class KeyedTable(KeyedRows, can_focus=True):
    COMPONENT_CLASSES: ClassVar[set[str]] = {f"{_P}--header", f"{_P}--cursor", f"{_P}--cursor-blur"}
    DEFAULT_CSS = f"""
    KeyedTable {{ height: 1fr; background: $surface; color: $foreground;
                  scrollbar-size-vertical: 1; scrollbar-size-horizontal: 0; }}
    KeyedTable > .{_P}--header {{ text-style: bold; color: $text-accent; background: $panel; }}
    KeyedTable > .{_P}--cursor {{ background: $block-cursor-background; color: $block-cursor-foreground;
                                   text-style: $block-cursor-text-style; }}
    KeyedTable > .{_P}--cursor-blur {{ background: $primary-muted; }}
    """
    BINDINGS: ClassVar[list[BindingType]] = TABLE_BINDINGS

    class CursorMoved(Message):
        """The row under the cursor is another one (``key`` None: the table is empty)."""

        def __init__(self, table: KeyedTable, key: str | None) -> None:
            super().__init__()
            self.table = table
            self.key = key

        @property
        def control(self) -> KeyedTable:
            return self.table

    def __init__(self, columns: Sequence[Column], *, fixed_columns: int = 0, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(columns, id=id, classes=classes)
        self.fixed_columns = fixed_columns
        self._header: Strip | None = None
        self._sort_marker: tuple[int | None, bool] = (None, False)
        self._styles = TagStyles(self)
        self._layout: tuple[tuple[int, ...], tuple[int, ...]] = ((), ())
        self._shown: tuple[int, ...] = ()
        self._sticky: tuple[int, ...] = self._col_widths  # the widest each column has been (see _relayout)
        self._fixed_width = 0
        self._total_width = 0
        self._relayout()

    # --- data ------------------------------------------------------------------------------------------
    @property
    def row_keys(self) -> tuple[str, ...]:
        return self._order

    @property
    def cursor_key(self) -> str | None:
        return self._cursor_key

    @property
    def cursor_row(self) -> int:
        return self._cursor

    def cells(self, key: str) -> Row:
        return self._rows[key]

    def tag_style(self, tags: str) -> Style:
        """The style a cell tagged ``tags`` is painted in (off the cursor)."""
        return self._styles.style(tags)

    @property
    def shown_columns(self) -> tuple[Column, ...]:
        """The columns the table's width leaves room for, in order (see ``Column.priority``)."""
        return tuple(self.columns[i] for i in self._shown)

    def column_width(self, column: str) -> int:
        return self._col_widths[next(n for n, c in enumerate(self.columns) if c.key == column)]

    def cell_text(self, key: str, column: str) -> str:
        i = next(n for n, c in enumerate(self.columns) if c.key == column)
        return self._rows[key][i][0]

    def _relayout(self, fresh: bool = False) -> bool:
        """Each column's width (its least width, its label, its longest cell since the layout was last made
        afresh) and the columns the width shows; True when that changed (every row is then painted again).

        Stable while figures tick: a column's width never shrinks by less than ``SHRINK`` until the table is
        resized or its rows change (``fresh``), and the columns shown stay while they fit; when chosen afresh they leave
        ``HYSTERESIS`` cells spare, and a column left out comes back only with that much room to spare. The
        sort column is never dropped."""
        widths = []
        for i, c in enumerate(self.columns):
            # Not widened for the sort arrow: sorting must not change which columns show (s walks them).
            label = cell_len(c.label)
            longest = 0 if c.flex else self._lengths.longest(i)
            least = max(c.width, label, longest)
            sticky = 0 if fresh else self._sticky[i]
            widths.append(sticky if least < sticky < least + SHRINK else least)
        self._sticky = tuple(widths)
        width = self.size.width
        if len(self._order) + 1 > self.size.height:
            width -= self.styles.scrollbar_size_vertical
        pinned = () if self._sort_marker[0] is None else (self._sort_marker[0],)
        shown = self._shown
        if fresh or not shown or not set(pinned) <= set(shown) or sum(widths[i] + 1 for i in shown) - 1 > width:
            shown = choose_columns(self.columns, widths, width - HYSTERESIS, pinned)
        for i in sorted(set(range(len(self.columns))) - set(shown), key=lambda i: (self.columns[i].priority, i)):
            if sum(widths[j] + 1 for j in shown) + widths[i] <= width - HYSTERESIS:
                shown = tuple(sorted((*shown, i)))
        flex = [i for i in shown if self.columns[i].flex]
        if flex:  # the room left over goes to the first free-text column
            spare = width - (sum(widths[i] + 1 for i in shown) - 1)
            widths[flex[0]] += max(0, spare)
        layout = (shown, tuple(widths))
        if layout == self._layout:
            return False
        self._layout = layout
        self._shown, self._col_widths = layout
        self._fixed_width = sum(self._col_widths[i] + 1 for i in shown if i < self.fixed_columns)
        xs = [0] * len(self.columns)
        x = 0
        for i in shown:
            xs[i] = x
            x += self._col_widths[i] + 1
        self._col_x = tuple(xs)
        self._total_width = sum(self._col_widths[i] + 1 for i in shown)
        self.virtual_size = Size(self._total_width, len(self._order) + 1)
        self._strips.clear()
        self._header = None
        self.refresh()
        return True

    def on_resize(self, event: events.Resize) -> None:
        self._relayout(fresh=True)

    def set_sort_marker(self, column: int | None, reverse: bool) -> None:
        """Show the sort column in the header (▲ ascending, ▼ descending); it stays shown however the
        figures widen."""
        self._sort_marker = (column, reverse)
        self._header = None
        self.refresh(Region(0, 0, self.size.width, 1))
        self._relayout()

    # --- cursor ----------------------------------------------------------------------------------------
    def select_key(self, key: str) -> bool:
        index = self._index.get(key)
        if index is None:
            return False
        self._move_cursor(index)
        return True

    def _move_cursor(self, index: int, force: bool = False) -> None:
        old, old_key = self._cursor, self._cursor_key
        self._cursor = max(0, min(index, len(self._order) - 1)) if self._order else 0
        self._cursor_key = self._order[self._cursor] if self._order else None
        if old != self._cursor and not force:
            self._refresh_index(old)
            self._refresh_index(self._cursor)
        self._scroll_to_cursor()
        if self._cursor_key != old_key:
            self.post_message(self.CursorMoved(self, self._cursor_key))

    def _scroll_to_cursor(self) -> None:
        visible = max(1, self.scrollable_content_region.height - 1)
        top = int(self.scroll_y)
        if self._cursor < top:
            self.scroll_to(y=self._cursor, animate=False, immediate=True)
        elif self._cursor >= top + visible:
            self.scroll_to(y=self._cursor - visible + 1, animate=False, immediate=True)

    def action_cursor_down(self) -> None:
        self._move_cursor(self._cursor + 1)

    def action_cursor_up(self) -> None:
        self._move_cursor(self._cursor - 1)

    def action_page_down(self) -> None:
        self._move_cursor(self._cursor + max(1, self.scrollable_content_region.height - 2))

    def action_page_up(self) -> None:
        self._move_cursor(self._cursor - max(1, self.scrollable_content_region.height - 2))

    def action_cursor_top(self) -> None:
        self._move_cursor(0)

    def action_cursor_bottom(self) -> None:
        self._move_cursor(len(self._order) - 1)

    def action_scroll_columns(self, delta: int) -> None:
        self.scroll_to(x=max(0, self.scroll_x + delta), animate=False)

    def on_click(self, event: events.Click) -> None:
        index = event.y - 1 + int(self.scroll_y)
        if 0 <= index < len(self._order):
            self._move_cursor(index)

    def on_focus(self) -> None:
        self._refresh_index(self._cursor)

    def on_blur(self) -> None:
        self._refresh_index(self._cursor)

    # --- painting --------------------------------------------------------------------------------------
    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._strips.clear()
        self._header = None

    def _render_row(self, cells: Row, overlay: str) -> Strip:
        segments = []
        gap = self._styles.style("", overlay)
        for i in self._shown:
            if i >= len(cells):
                break
            text, tags = cells[i]
            col = self.columns[i]
            segments.append(Segment(fit(text, self._col_widths[i], col.align), self._styles.style(tags, overlay)))
            segments.append(Segment(" ", gap))
        return Strip(segments, self._total_width)

    def _header_strip(self) -> Strip:
        if self._header is None:
            style = self._styles.style("", f"{_P}--header")
            column, reverse = self._sort_marker
            parts = []
            for i in self._shown:
                c, width = self.columns[i], self._col_widths[i]
                if i == column:  # the arrow always shows; in a column just as wide as its label, over its end
                    label = fit(c.label, width - 1, "left").rstrip() + ("▼" if reverse else "▲")
                    parts.append(fit(label, width, c.align))
                else:
                    parts.append(fit(c.label, width, c.align))
            text = "".join(part + " " for part in parts)
            self._header = Strip([Segment(text, style)], self._total_width)
        return self._header

    def _crop(self, strip: Strip, width: int) -> Strip:
        scroll_x = int(self.scroll_x)
        base = self._styles.base
        if self.fixed_columns and scroll_x:
            fixed = strip.crop(0, self._fixed_width)
            rest = strip.crop(self._fixed_width + scroll_x, self._fixed_width + scroll_x + width)
            strip = Strip.join([fixed, rest])
        elif scroll_x:
            strip = strip.crop(scroll_x, scroll_x + width)
        return strip.extend_cell_length(width, base).crop(0, width)

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        if y == 0:
            return self._crop(self._header_strip(), width)
        index = y - 1 + int(self.scroll_y)
        if index >= len(self._order):
            return Strip.blank(width, self._styles.base)
        key = self._order[index]
        overlay = ""
        if index == self._cursor:
            overlay = f"{_P}--cursor" if self.has_focus else f"{_P}--cursor-blur"
        strip = self._strips.get((key, overlay))
        if strip is None:
            strip = self._render_row(self._rows[key], overlay)
            self._strips[(key, overlay)] = strip
        self.rows_rendered += 1
        return self._crop(strip, width)
