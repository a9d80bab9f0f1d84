"""The positions pane's rows from one snapshot to the next, rebuilt only where something changed.

An account whose view is the very object the last snapshot had (the engine reuses the views of accounts
whose inputs did not change) keeps its rows until a countdown shown in them ticks; any other account is gone
through position by position, each row kept while its inputs, at the resolution they are shown, are equal
(``position_rows.account_entries``). When every account kept its rows the previous list itself is returned,
so the table has nothing to sort or compare.
"""

from __future__ import annotations

import math

from liqwatch.store import AccountView, MonitorSnapshot
from widgets.position_rows import EntryCache, account_entries, nearest_first, prune
from widgets.table_model import Entry

#: A countdown's next tick is taken this much early: float rounding can only cause an extra paint.
EARLY_S = 1e-6


class PositionRows:
    def __init__(self) -> None:
        self._cache: EntryCache = {}
        self._accounts: dict[str, tuple[AccountView, float, list[Entry]]] = {}  # view, valid until, rows
        self._parts: list[list[Entry]] = []
        self._last: list[Entry] = []
        self.accounts_rebuilt = 0
        """Accounts whose rows were gone through again (a test seam: an unchanged view costs none)."""

    def entries(self, snap: MonitorSnapshot, account: str | None = None) -> list[Entry]:
        """Every position's row (or one account's), nearest to liquidation first; the same list object as
        the last call when nothing in it changed."""
        ts = snap.time.timestamp()
        parts: list[list[Entry]] = []
        for a in snap.accounts:
            if account is not None and a.name != account:
                continue
            hit = self._accounts.get(a.name)
            if hit is None or hit[0] is not a or ts >= hit[1]:
                rows, tick = account_entries(a, snap.time, self._cache)
                if hit is not None and len(rows) == len(hit[2]) and all(
                        x is y for x, y in zip(rows, hit[2], strict=True)):
                    rows = hit[2]  # a new view, every row as it was: the list too, so nothing is sorted again
                hit = (a, ts + tick - EARLY_S if math.isfinite(tick) else math.inf, rows)
                self._accounts[a.name] = hit
                self.accounts_rebuilt += 1
            parts.append(hit[2])
        if len(parts) == len(self._parts) and all(x is y for x, y in zip(parts, self._parts, strict=True)):
            return self._last
        if len(self._accounts) > len(snap.accounts):
            names = {a.name for a in snap.accounts}
            for name in [n for n in self._accounts if n not in names]:
                del self._accounts[name]
        self._parts = parts
        self._last = nearest_first(e for rows in parts for e in rows)
        prune(self._cache, len(self._last), (e.key for rows in self._accounts.values() for e in rows[2]))
        return self._last
