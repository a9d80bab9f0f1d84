"""Rolling volatility of the mark from 1-minute log returns, scaled to one hour.

Each minute's last mark closes that minute; returns between consecutive closed minutes fill a window
(60 by default). Running sums keep an update O(1); they are rebuilt from the window now and then so that
rounding cannot accumulate.
"""

from __future__ import annotations

import math
from collections import deque


class MinuteVolatility:
    def __init__(self, window_minutes: int = 60, min_returns: int = 10) -> None:
        if window_minutes < 2:
            raise ValueError("window_minutes must be >= 2")
        self.window_minutes = window_minutes
        self.min_returns = max(2, min_returns)
        self._returns: deque[float] = deque(maxlen=window_minutes)
        self._sum = 0.0
        self._sumsq = 0.0
        self._minute: int | None = None
        self._minute_close: float | None = None
        self._prev_close: float | None = None
        self._since_rebuild = 0

    def update(self, epoch_seconds: float, mark: float) -> None:
        """Feed a mark observed at ``epoch_seconds`` (exchange time); older minutes are ignored."""
        if not mark > 0:
            return
        minute = int(epoch_seconds // 60)
        if self._minute is None:
            self._minute, self._minute_close = minute, mark
            return
        if minute < self._minute:
            return
        if minute == self._minute:
            self._minute_close = mark
            return
        # The previous minute closed; a gap of several minutes counts as one return over the gap, which
        # understates nothing that matters for a distance-in-sigma display.
        if self._prev_close is not None and self._minute_close is not None:
            self._push(math.log(self._minute_close / self._prev_close))
        self._prev_close = self._minute_close
        self._minute, self._minute_close = minute, mark

    def _push(self, r: float) -> None:
        if len(self._returns) == self._returns.maxlen:
            old = self._returns[0]
            self._sum -= old
            self._sumsq -= old * old
        self._returns.append(r)
        self._sum += r
        self._sumsq += r * r
        self._since_rebuild += 1
        if self._since_rebuild >= 1024:
            self._sum = math.fsum(self._returns)
            self._sumsq = math.fsum(x * x for x in self._returns)
            self._since_rebuild = 0

    @property
    def count(self) -> int:
        return len(self._returns)

    def sigma_hour(self) -> float | None:
        """Sample standard deviation of 1-minute log returns times sqrt(60); None with too little data."""
        n = len(self._returns)
        if n < self.min_returns:
            return None
        mean = self._sum / n
        var = max(0.0, (self._sumsq - n * mean * mean) / (n - 1))
        return math.sqrt(var) * math.sqrt(60.0)
