"""Volatility of the mark as σ per hour, for "distance to liquidation in σ".

Two estimates, each a rolling window of log returns between the closes of consecutive periods:

- **recent**: 1-minute returns over the last ``window_minutes`` (60), scaled to an hour by sqrt(60). It
  reacts within minutes when the market wakes up.
- **long-run**: 1-hour returns over the last 30 days (720 hours). It knows how far a typical hour moves,
  including the trends and jumps that sqrt-scaling of quiet minutes understates.

``sigma_hour()`` is the larger of the two (either one alone while the other has too little data). The
error that matters is a σ that is too small: it makes liquidation look more σ away, i.e. safer, than it is.
So a quiet last hour never talks σ below what a normal hour of the last month did, and a burst of
volatility shows at once instead of being averaged away over 30 days.

At start both windows are seeded from the exchange's mark-price candles (``seed``), so σ is there within
seconds instead of after an hour of marks. Live marks then take over period by period: each closed minute
pushes one live return and drops the oldest (after ``window_minutes`` minutes the recent estimate is all
live), each closed hour does the same in the 30-day window. Running sums keep an update O(1); they are
rebuilt from the window now and then so that rounding cannot accumulate.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from collections.abc import Sequence

#: 30 days of hourly returns in the long-run window.
HOUR_WINDOW = 30 * 24
#: A long-run σ needs at least a day of hourly returns.
MIN_HOUR_RETURNS = 24
#: Minute closes kept for the detail pane's price plot (4 hours; the feeds seed the last 2 from candles).
MINUTE_HISTORY = 4 * 60


#: A candle opening more than this after our clock's now is not one the exchange closed or is running: it would
#: sit at the end of the minute closes and every live mark, older than it, would be dropped behind it. The
#: allowance covers the running candle and a clock a little behind the exchange's.
CANDLE_AHEAD_S = 120.0
#: A close more than this factor from the market's mark (or, before one, the candles' median close) is no
#: candle of that market: a minute cannot move so, and the plot's scale would flatten every real minute.
CANDLE_MOVE_LIMIT = 10.0


def plausible_candles(closes: Sequence[tuple[float, float]], now_s: float,
                      reference: float | None) -> tuple[list[tuple[float, float]], list[str]]:
    """The candles ``(open time in epoch seconds, close)`` that can be real, and why each other one cannot:
    not a positive price, dated ahead of ``now_s`` (``CANDLE_AHEAD_S``), or too far from ``reference``."""
    priced = sorted(c for _, c in closes if c > 0 and math.isfinite(c))
    ref = reference if reference is not None and reference > 0 else (priced[len(priced) // 2] if priced else None)
    kept: list[tuple[float, float]] = []
    why: list[str] = []
    for t, c in closes:
        if not (c > 0 and math.isfinite(c)):
            why.append(f"close {c!r} at {t:.0f} is not a positive price")
        elif t > now_s + CANDLE_AHEAD_S:
            why.append(f"candle at {t:.0f} opens {t - now_s:.0f} s after now")
        elif ref is not None and not (ref / CANDLE_MOVE_LIMIT <= c <= ref * CANDLE_MOVE_LIMIT):
            why.append(f"close {c:g} at {t:.0f} is more than x{CANDLE_MOVE_LIMIT:g} away from {ref:g}")
        else:
            kept.append((t, c))
    return kept, why


class MinuteCloses:
    """The mark's last ``maxlen`` 1-minute closes, ``(minute start in epoch seconds, close)`` oldest first:
    seeded from the exchange's candles, then each live mark updates the running minute. Read as one tuple,
    rebuilt only after a change (every snapshot reads it)."""

    def __init__(self, maxlen: int = MINUTE_HISTORY) -> None:
        # (minute, close, live): whether the close is a live mark's, timed maybe by our clock, or a candle's.
        self._closes: deque[tuple[int, float, bool]] = deque(maxlen=maxlen)
        self._series: tuple[tuple[float, float], ...] | None = ()

    def update(self, epoch_seconds: float, price: float, *, realign: bool = False) -> None:
        """As ``RollingReturns.update``: an older minute is ignored, unless ``realign`` (the live minutes after
        it were misdated by a wall-clock jump: dropped). A candle's minute is the exchange's own time, so a
        realign never drops one: a mark stamped early by a clock stepped back is then only ignored, instead of
        wiping the exchange's candles back to it."""
        if not (price > 0 and math.isfinite(price)):
            return
        minute = int(epoch_seconds // 60)
        while realign and self._closes and minute < self._closes[-1][0] and self._closes[-1][2]:
            self._closes.pop()
        if self._closes and minute < self._closes[-1][0]:
            return  # older than the running minute (a mark out of order): the plot keeps time order
        if self._closes and minute == self._closes[-1][0]:
            self._closes[-1] = (minute, price, True)
        else:
            self._closes.append((minute, price, True))
        self._series = None

    def seed(self, closes: Sequence[tuple[float, float]]) -> None:
        """Candles ``(open time in epoch seconds, close)``, any order; a minute live marks already closed
        keeps the live close."""
        merged = {int(t // 60): (c, False) for t, c in closes if c > 0 and math.isfinite(c)}
        merged.update({m: (c, live) for m, c, live in self._closes})
        kept = sorted(merged.items())[-(self._closes.maxlen or 0):]
        self._closes = deque(((m, c, live) for m, (c, live) in kept), maxlen=self._closes.maxlen)
        self._series = None

    def series(self) -> tuple[tuple[float, float], ...]:
        if self._series is None:
            self._series = tuple((float(m * 60), c) for m, c, _ in self._closes)
        return self._series


class RollingReturns:
    """Log returns between the closes of consecutive ``period_s`` periods, the last ``window`` of them.

    The last mark seen in a period closes it; a gap of several periods counts as one return over the gap,
    which understates nothing that matters for a distance-in-σ display.
    """

    def __init__(self, period_s: int, window: int, min_returns: int) -> None:
        if window < 2:
            raise ValueError("window must be >= 2")
        self.period_s = period_s
        self.min_returns = max(2, min_returns)
        self._returns: deque[float] = deque(maxlen=window)
        self._sum = 0.0
        self._sumsq = 0.0
        self._period: int | None = None
        self._period_close: float | None = None
        self._prev_close: float | None = None
        self._first_live: int | None = None
        self._since_rebuild = 0

    @property
    def window(self) -> int:
        return self._returns.maxlen or 0

    @property
    def count(self) -> int:
        return len(self._returns)

    def update(self, epoch_seconds: float, price: float, *, realign: bool = False) -> None:
        """Feed a price observed at ``epoch_seconds`` (exchange time); older periods are ignored, unless
        ``realign``: a mark ordered by arrival whose time was derived from the local clock (Hyperliquid's carry
        none) is the newest there is, so an older period means the running period was misdated (a wall-clock
        jump, since re-measured): the running period moves back to it instead of freezing until it is reached."""
        if not (price > 0 and math.isfinite(price)):
            return
        period = int(epoch_seconds // self.period_s)
        if self._first_live is None:
            self._first_live = period
        if self._period is None:
            self._period, self._period_close = period, price
            return
        if period < self._period and not realign:
            return
        if period <= self._period:
            self._period, self._period_close = period, price
            self._first_live = min(self._first_live, period)
            return
        if self._prev_close is not None and self._period_close is not None:
            self._push(math.log(self._period_close / self._prev_close))
        self._prev_close = self._period_close
        self._period, self._period_close = period, price

    def seed(self, closes: Sequence[tuple[float, float]]) -> None:
        """History from candles: ``(open time in epoch seconds, close)``, any order.

        The last candle may still be open (an exchange includes the running one): it becomes the running
        period, which live marks keep updating. Seeded after live marks arrived, only the candles before the
        first live period are used, placed before the live returns in the window.
        """
        by_period: dict[int, float] = {}
        for t, close in closes:
            if close > 0 and math.isfinite(close):
                by_period[int(t // self.period_s)] = close
        periods = sorted(by_period)
        if self._first_live is not None:
            periods = [p for p in periods if p < self._first_live]
            rets = [math.log(by_period[b] / by_period[a]) for a, b in itertools.pairwise(periods)]
            room = self.window - len(self._returns)
            if rets and room > 0:
                self._returns = deque(rets[-room:] + list(self._returns), maxlen=self.window)
                self._rebuild()
            return
        if not periods:
            return
        *done, running = periods
        for a, b in itertools.pairwise(done):
            self._push(math.log(by_period[b] / by_period[a]))
        self._prev_close = by_period[done[-1]] if done else None
        self._period, self._period_close = running, by_period[running]

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
            self._rebuild()

    def _rebuild(self) -> None:
        self._sum = math.fsum(self._returns)
        self._sumsq = math.fsum(x * x for x in self._returns)
        self._since_rebuild = 0

    def sigma(self) -> float | None:
        """Sample standard deviation of the returns (per period); None with too little data."""
        n = len(self._returns)
        if n < self.min_returns:
            return None
        mean = self._sum / n
        return math.sqrt(max(0.0, (self._sumsq - n * mean * mean) / (n - 1)))


class MinuteVolatility:
    """σ per hour of one market's mark: the recent 1-minute estimate with the 30-day hourly one as a floor."""

    def __init__(self, window_minutes: int = 60, min_returns: int = 10) -> None:
        if window_minutes < 2:
            raise ValueError("window_minutes must be >= 2")
        self.window_minutes = window_minutes
        self.min_returns = max(2, min_returns)
        self.minutes = RollingReturns(60, window_minutes, self.min_returns)
        self.hours = RollingReturns(3600, HOUR_WINDOW, MIN_HOUR_RETURNS)
        self.closes = MinuteCloses()

    def update(self, epoch_seconds: float, mark: float, *, realign: bool = False) -> None:
        """Feed a mark observed at ``epoch_seconds`` (exchange time); see ``RollingReturns.update``."""
        self.minutes.update(epoch_seconds, mark, realign=realign)
        self.hours.update(epoch_seconds, mark, realign=realign)
        self.closes.update(epoch_seconds, mark, realign=realign)

    def seed(self, minute_closes: Sequence[tuple[float, float]], hour_closes: Sequence[tuple[float, float]]) -> None:
        """Seed both windows from 1-minute and 1-hour candles: ``(open time in epoch seconds, close)``."""
        self.minutes.seed(minute_closes)
        self.hours.seed(hour_closes)
        self.closes.seed(minute_closes)

    @property
    def count(self) -> int:
        """Returns in the recent (1-minute) window."""
        return self.minutes.count

    def recent_sigma_hour(self) -> float | None:
        """Sample standard deviation of 1-minute log returns times sqrt(60); None with too little data."""
        s = self.minutes.sigma()
        return s * math.sqrt(60.0) if s is not None else None

    def long_sigma_hour(self) -> float | None:
        """Sample standard deviation of hourly log returns over up to 30 days; None under a day of them."""
        return self.hours.sigma()

    def sigma_hour(self) -> float | None:
        """The σ per hour used for distance in σ: max(recent, long-run), or whichever exists; None if neither."""
        known = [s for s in (self.recent_sigma_hour(), self.long_sigma_hour()) if s is not None]
        return max(known) if known else None
