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
from dataclasses import dataclass
from datetime import datetime

from liqwatch.funding import payment_key
from liqwatch.model import FundingPayment, Side

_Bucket = tuple[str, Side | None]  # symbol and leg (None: the symbol's one position, or no leg named)


class FundingLedger:
    def __init__(self, max_payments: int = 5000) -> None:
        self._max = max_payments
        self._payments: OrderedDict[object, FundingPayment] = OrderedDict()
        self._index: dict[_Bucket, tuple[list[float], list[float]]] | None = None  # -> (times, prefix sums)
        self._payments_view: tuple[FundingPayment, ...] | None = None

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
            self._payments_view = None
        return added

    def payments(self) -> tuple[FundingPayment, ...]:
        """Every payment held, oldest received first; the same tuple until a new payment arrives."""
        if self._payments_view is None:
            self._payments_view = tuple(self._payments.values())
        return self._payments_view

    def __len__(self) -> int:
        return len(self._payments)

    def __bool__(self) -> bool:
        return bool(self._payments)

    def _built(self) -> dict[_Bucket, tuple[list[float], list[float]]]:
        if self._index is None:
            buckets: dict[_Bucket, list[FundingPayment]] = {}
            for p in self._payments.values():
                buckets.setdefault((p.symbol, p.side), []).append(p)
            index = {}
            for bucket, pays in buckets.items():
                pays.sort(key=lambda x: x.time)
                index[bucket] = ([p.time.timestamp() for p in pays],
                                 [0.0, *itertools.accumulate(p.amount for p in pays)])
            self._index = index
        return self._index

    def _bucket_since(self, bucket: _Bucket, when: datetime | None) -> float:
        times, sums = self._built().get(bucket, ([], [0.0]))
        i = 0 if when is None else bisect_left(times, when.timestamp())
        return sums[-1] - sums[i]

    def since(self, symbol: str, when: datetime | None, side: Side | None = None) -> float:
        """Funding of ``symbol`` settled at or after ``when``. With ``side``, one hedge leg's: its own shares
        plus payments that name no leg (a symbol's one position); without, every payment of the symbol."""
        if side is not None:
            return self._bucket_since((symbol, None), when) + self._bucket_since((symbol, side), when)
        return math.fsum(self._bucket_since(b, when) for b in self._built() if b[0] == symbol)

    def total_since(self, when: datetime) -> float:
        return math.fsum(self._bucket_since(b, when) for b in self._built())


@dataclass(frozen=True, slots=True)
class FundingPaid:
    """Settled funding payments of one account (a REST page or a stream event).

    ``payments`` are the exchange's own records, as booked (the account's funding and its history);
    ``legs`` are the hedge legs' shares of them (``funding_split``), or None when each symbol holds one
    position, so that a record is that position's."""

    account: str
    payments: tuple[FundingPayment, ...]
    legs: tuple[FundingPayment, ...] | None = None
