"""An account's settled funding, de-duplicated and bounded, answering "paid since T" in O(log n).

Snapshots ask it for every position several times a second, so sums come from per-symbol prefix sums
(rebuilt only after new payments arrive), not from a scan of the history.
"""

from __future__ import annotations

import itertools
import math
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime

from liqwatch.funding import payment_key
from liqwatch.model import FundingPayment


class FundingLedger:
    def __init__(self, max_payments: int = 5000) -> None:
        self._max = max_payments
        self._payments: OrderedDict[object, FundingPayment] = OrderedDict()
        self._index: dict[str, tuple[list[float], list[float]]] | None = None  # symbol -> (times, prefix sums)

    def add(self, payments: Iterable[FundingPayment]) -> bool:
        """True when at least one payment was new."""
        added = False
        for p in payments:
            key = payment_key(p)
            if key in self._payments:
                continue
            self._payments[key] = p
            added = True
            while len(self._payments) > self._max:
                self._payments.popitem(last=False)  # the oldest received goes, id and all
        if added:
            self._index = None
        return added

    def __len__(self) -> int:
        return len(self._payments)

    def __bool__(self) -> bool:
        return bool(self._payments)

    def _built(self) -> dict[str, tuple[list[float], list[float]]]:
        if self._index is None:
            by_symbol: dict[str, list[FundingPayment]] = {}
            for p in self._payments.values():
                by_symbol.setdefault(p.symbol, []).append(p)
            index = {}
            for symbol, pays in by_symbol.items():
                pays.sort(key=lambda x: x.time)
                index[symbol] = ([p.time.timestamp() for p in pays],
                                 [0.0, *itertools.accumulate(p.amount for p in pays)])
            self._index = index
        return self._index

    def since(self, symbol: str, when: datetime | None) -> float:
        times, sums = self._built().get(symbol, ([], [0.0]))
        i = 0 if when is None else bisect_left(times, when.timestamp())
        return sums[-1] - sums[i]

    def total_since(self, when: datetime) -> float:
        return math.fsum(self.since(symbol, when) for symbol in self._built())
