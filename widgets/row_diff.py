"""The bookkeeping behind ``KeyedTable.set_rows``: which cells of a row changed, and each column's longest
cell kept up to date a row at a time (a count of the cells of each length) rather than measured over every
row whenever one changes."""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len

Cell = tuple[str, str]  # (text, style tags)
Row = tuple[Cell, ...]


def changed_columns(old: Row, new: Row) -> list[int]:
    """The indices of the cells whose text or tags differ (a cell one of the rows lacks counts as changed)."""
    if len(old) != len(new):
        return list(range(max(len(old), len(new))))
    return [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a is not b and a != b]


class ColumnLengths:
    """Each row's cell widths, and per column how many cells have each width: the longest is the greatest
    width counted, so a changed row costs its changed cells only."""

    def __init__(self, columns: int) -> None:
        self._columns = columns
        self._rows: dict[str, tuple[int, ...]] = {}
        self._counts: list[dict[int, int]] = [{} for _ in range(columns)]

    def __len__(self) -> int:
        return len(self._rows)

    def longest(self, column: int) -> int:
        counts = self._counts[column]
        return max(counts) if counts else 0

    def _count(self, column: int, length: int, step: int) -> None:
        counts = self._counts[column]
        n = counts.get(length, 0) + step
        if n:
            counts[length] = n
        else:
            del counts[length]

    def add(self, key: str, row: Row) -> None:
        lengths = tuple(cell_len(text) for text, _ in row[: self._columns])
        self._rows[key] = lengths
        for i, n in enumerate(lengths):
            self._count(i, n, 1)

    def remove(self, key: str) -> None:
        for i, n in enumerate(self._rows.pop(key)):
            self._count(i, n, -1)

    def update(self, key: str, row: Row, columns: Sequence[int]) -> bool:
        """``row``'s cells at ``columns`` changed; True when a width did (the layout may then change)."""
        old = self._rows[key]
        if len(old) != min(len(row), self._columns):
            self.remove(key)
            self.add(key, row)
            return True
        lengths = list(old)
        moved = False
        for i in columns:
            if i >= self._columns:
                continue
            n = cell_len(row[i][0])
            if n != lengths[i]:
                self._count(i, lengths[i], -1)
                self._count(i, n, 1)
                lengths[i] = n
                moved = True
        if moved:
            self._rows[key] = tuple(lengths)
        return moved

    def clear(self) -> None:
        self._rows.clear()
        self._counts = [{} for _ in range(self._columns)]
