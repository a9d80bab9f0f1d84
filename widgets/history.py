"""Bounded per-position history (mark, risk, margin ratio, funding) for the detail pane's plots.

Kept in the UI layer: the engine has no use for it, and a ring buffer per position bounds the memory
(``maxlen`` samples of at most one per ``min_interval_s`` of snapshot time).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from liqwatch.store import MonitorSnapshot
from widgets.position_rows import position_key


@dataclass(frozen=True, slots=True)
class Sample:
    t: float  # snapshot wall time, epoch seconds
    mark: float
    risk: float | None
    margin_ratio: float | None
    funding_rate: float | None
    funding_paid: float | None


class PositionHistory:
    def __init__(self, maxlen: int = 600, min_interval_s: float = 1.0) -> None:
        self.maxlen = maxlen
        self.min_interval_s = min_interval_s
        self._series: dict[str, deque[Sample]] = {}

    def record(self, snap: MonitorSnapshot) -> None:
        t = snap.time.timestamp()
        seen = set()
        for a in snap.accounts:
            for p in a.positions:
                key = position_key(a.name, p)
                seen.add(key)
                series = self._series.get(key)
                if series is None:
                    series = self._series[key] = deque(maxlen=self.maxlen)
                elif t - series[-1].t < self.min_interval_s:
                    continue
                r = p.risk
                series.append(Sample(t, r.mark_price, r.risk, r.margin_ratio, p.funding_rate,
                                     p.funding_paid_since_open))
        for key in [k for k in self._series if k not in seen]:
            del self._series[key]  # closed: a reopened position starts a new history

    def samples(self, key: str) -> tuple[Sample, ...]:
        series = self._series.get(key)
        return tuple(series) if series is not None else ()

    def __len__(self) -> int:
        return len(self._series)
