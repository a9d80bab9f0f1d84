"""Rows as the panes build them: cells to show, values to sort by, text to filter on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from widgets.keyed_table import Row

Sortable = float | str | None


@dataclass(frozen=True, slots=True)
class Entry:
    key: str
    cells: Row
    sort: tuple[Sortable, ...]  # one value per column
    search: str = ""  # what the filter matches, lower case


def sort_entries(entries: Sequence[Entry], column: int | None, reverse: bool = False) -> list[Entry]:
    """By one column, missing values last whatever the direction; ``None`` keeps the given order."""
    if column is None:
        return list(reversed(entries)) if reverse else list(entries)
    present = [e for e in entries if e.sort[column] is not None]
    missing = [e for e in entries if e.sort[column] is None]

    def key(e: Entry) -> tuple[int, float, str]:
        v = e.sort[column]
        return (1, 0.0, v) if isinstance(v, str) else (0, float(v or 0.0), "")

    return sorted(present, key=key, reverse=reverse) + missing


def filter_entries(entries: Sequence[Entry], text: str) -> list[Entry]:
    """Every word must appear (``btc short`` keeps the short BTC legs)."""
    words = text.lower().split()
    if not words:
        return list(entries)
    return [e for e in entries if all(w in e.search for w in words)]
