"""Text plots: the mark against its entry and liquidation lines, and one-line sparklines.

Lines differ by glyph as well as by colour (entry ┄, liquidation ━, mark •), and the axis names them.
"""

from __future__ import annotations

from collections.abc import Sequence

from widgets import fmt
from widgets.text_lines import Line, Span

AXIS = 12
_BARS = "▁▂▃▄▅▆▇█"


def _runs(chars: Sequence[tuple[str, str]]) -> Line:
    """Adjacent characters with the same tags merged into one span."""
    out: list[Span] = []
    for ch, tag in chars:
        if out and out[-1][1] == tag:
            out[-1] = (out[-1][0] + ch, tag)
        else:
            out.append((ch, tag))
    return tuple(out)


def price_plot(marks: Sequence[float], entry: float, liq: float | None, width: int, height: int) -> list[Line]:
    """``height`` lines: the last marks (one per column), with horizontal entry and liquidation lines."""
    cols = max(1, width - AXIS)
    series = list(marks)[-cols:]
    values = [*series, entry] + ([liq] if liq is not None else [])
    lo, hi = min(values), max(values)
    if hi - lo < abs(hi) * 1e-6:
        lo, hi = lo * 0.995, hi * 1.005
    rows = max(2, height)

    def row_of(v: float) -> int:
        return round((hi - v) / (hi - lo) * (rows - 1))

    grid = [[(" ", "")] * cols for _ in range(rows)]
    labels = [("", "")] * rows
    labels[0] = (fmt.price(hi), "muted")
    labels[-1] = (fmt.price(lo), "muted")
    entry_row = row_of(entry)
    grid[entry_row] = [("┄", "entry")] * cols
    labels[entry_row] = (f"E {fmt.price(entry)}", "entry")
    if liq is not None:
        liq_row = row_of(liq)
        grid[liq_row] = [("━", "liq")] * cols
        labels[liq_row] = (f"L {fmt.price(liq)}", "liq")
    start = cols - len(series)
    for i, v in enumerate(series):
        grid[row_of(v)][start + i] = ("•", "plot")
    out: list[Line] = []
    for label, cells in zip(labels, grid, strict=True):
        axis = (label[0][: AXIS - 1].rjust(AXIS - 1) + "│", label[1])
        out.append((axis, *_runs(cells)))
    return out


def spark(values: Sequence[float | None], width: int, lo: float | None = None, hi: float | None = None) -> str:
    """One line of bars for the last ``width`` values; fixed bounds keep a level readable (risk 0..1)."""
    vals = list(values)[-width:]
    known = [v for v in vals if v is not None]
    if not known:
        return " " * width
    low = min(known) if lo is None else lo
    high = max(known) if hi is None else hi
    span = high - low
    out = []
    for v in vals:
        if v is None:
            out.append(" ")
            continue
        f = 0.5 if span <= 0 else (min(max(v, low), high) - low) / span
        out.append(_BARS[min(len(_BARS) - 1, int(f * len(_BARS)))])
    return "".join(out).rjust(width)
