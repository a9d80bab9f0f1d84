"""The columns of a ``KeyedTable``: what each one is, which ones show in a given width, and a cell's text
fitted to its column."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len, set_cell_size

#: A column that never gives way: the identity of a row (account, symbol, side, level) and its risk
#: (distance, liquidation price).
KEEP = 0
#: The priority of a column that declares none: it is the first to go.
OPTIONAL = 9


@dataclass(frozen=True, slots=True)
class Column:
    """``width`` is the least width: a column widens to its label and its longest cell, so the table never
    cuts a cell. ``priority``: when the columns do not all fit the table's width, the highest number goes
    first (``KEEP``: never; a tie: the rightmost first). ``flex``: takes the width left over and may cut
    its text with "…" (a free-text column whose whole text is shown elsewhere, e.g. the alert message)."""

    key: str
    label: str
    width: int
    align: Literal["left", "right"] = "right"
    priority: int = OPTIONAL
    flex: bool = False


#: Cells left spare when the columns are chosen afresh: a figure gaining a digit or two (a mark moving a few
#: percent) then fits in them, and the columns shown stay as they are (see ``KeyedTable._relayout``).
HYSTERESIS = 3
#: A column narrows (and the room it leaves may bring a column back) only once its longest cell is this much
#: narrower than its width: a state message gone ("RECONN 12s" back to "LIVE"), not a digit.
SHRINK = 4


def choose_columns(columns: Sequence[Column], widths: Sequence[int], room: int,
                   keep: Collection[int] = ()) -> tuple[int, ...]:
    """The indices of the columns shown in ``room`` cells (each column takes its width and one blank):
    the least important give way first, those marked ``KEEP`` (or listed in ``keep``, e.g. the sort column)
    never (they may then overflow ``room``)."""
    shown = list(range(len(columns)))

    def used() -> int:
        return sum(widths[i] + 1 for i in shown) - 1

    while used() > room:
        optional = [i for i in shown if columns[i].priority != KEEP and i not in keep]
        if not optional:
            break
        shown.remove(max(optional, key=lambda i: (columns[i].priority, i)))
    # A narrower column left out may still fit in the room a wider one left: the more important first.
    for i in sorted(set(range(len(columns))) - set(shown), key=lambda i: (columns[i].priority, i)):
        if used() + widths[i] + 1 <= room:
            shown = sorted([*shown, i])
    return tuple(shown)


def fit(text: str, width: int, align: Literal["left", "right"]) -> str:
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    pad = " " * (width - cell_len(text))
    return pad + text if align == "right" else text + pad
