"""Mark-price candles: the history before the emulator started, and the candles of the marks served since.

The history is synthesized from each market's own price process, run backwards from the start: the path's
volatility with its regimes and jumps, its drift, and the market's mean-reverting premium, all in simulated
time mapped onto the wall clock at the emulator's ``--speed`` exactly as the live marks are. So a σ measured
on these candles is the σ of the live marks of the same path, within sampling error, at any speed. It is
deterministic for a seed and draws from its own random stream, so serving history never changes the live
market. Candle times are wall-clock (like every exchange timestamp here), aligned on the interval.

Kept: 1-minute candles for the last ``MINUTE_HISTORY_HOURS`` before the start, 1-hour candles for
``HOUR_HISTORY_DAYS`` days; since the start, candles of the live marks (1-minute ones for a week).
Highs and lows of history candles are drawn from a Brownian bridge between open and close (σ uses closes only).

Cost: every emulator a test starts builds ~2,200 history candles per market on the first request, and every
request formats up to hundreds, so the work is arranged to be cheap without changing a value (proved against
the straightforward algorithm in tests/emulator/test_emu_candles_identity.py): what depends on the path only
(exponentials, premium decay per interval) is computed once per path, prices are rounded a list at a time,
requests find their window by bisection instead of copying and filtering, and the rows of history candles,
which never change, are formatted once per venue (``CandleSeries.formatted``).
"""

from __future__ import annotations

import math
import random
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import pairwise
from operator import attrgetter
from typing import Any, TypeVar

from liqwatch.emulator.market import Market, SimMarket, Venue
from liqwatch.emulator.normals import TWO_PI as _TWO_PI
from liqwatch.emulator.normals import gauss_draws
from liqwatch.emulator.scenario import PathSpec

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
INTERVALS_MS = {"1m": MINUTE_MS, "1h": HOUR_MS}
MINUTE_HISTORY_HOURS = 24
HOUR_HISTORY_DAYS = 32  # a little more than the 30 days a client asks for, so a running emulator still has them
_LIVE_MINUTES_KEPT = 7 * 24 * 60
_PREMIUM_MEMORY_S = 300.0  # as in the live market (liqwatch.emulator.market)
_MINUTES_PER_HOUR = HOUR_MS // MINUTE_MS

Row = TypeVar("Row")
_open_ms = attrgetter("open_ms")


@dataclass(slots=True)
class Candle:
    open_ms: int
    open: float
    high: float
    low: float
    close: float
    count: int  # marks in the candle (Binance's "number of basic data")

    def add(self, price: float) -> None:
        self.high = max(self.high, price)
        self.low = min(self.low, price)
        self.close = price
        self.count += 1


def _merge(first: Candle, second: Candle) -> Candle:
    return Candle(first.open_ms, first.open, max(first.high, second.high), min(first.low, second.low),
                  second.close, first.count + second.count)


@dataclass(frozen=True, slots=True)
class _IndexHistory:
    """One path before the start: grid times (wall ms, ascending, the last is the start), the log index at
    each, and the log high/low of the interval that ends at each (index 0 unused); then what every market on
    the path derives from them, computed once for all of them."""

    times: list[int]
    sim_times: list[float]  # simulated seconds relative to the start (<= 0)
    logs: list[float]
    highs: list[float]
    lows: list[float]
    levels: list[float]  # exp(logs)
    high_levels: list[float]  # exp(highs)
    low_levels: list[float]  # exp(lows)
    decay: list[float]  # how much premium the interval ending at each point remembers: exp(-Δt / memory)
    fresh: list[float]  # sqrt(1 - decay²): the share of the premium's σ drawn anew over that interval
    counts: list[int]  # the "marks" in the candle opening at each point: its whole seconds, at least 1
    old_hours: int  # how many candles open before the 1-minute history: 1-hour candles of their own


def _grid(start_ms: int) -> list[int]:
    minute0 = start_ms // MINUTE_MS * MINUTE_MS
    minute_from = start_ms // HOUR_MS * HOUR_MS - MINUTE_HISTORY_HOURS * HOUR_MS
    hours = HOUR_HISTORY_DAYS * 24 - MINUTE_HISTORY_HOURS
    points = [minute_from - k * HOUR_MS for k in range(hours, 0, -1)]
    points.extend(range(minute_from, minute0 + 1, MINUTE_MS))
    if points[-1] != start_ms:
        points.append(start_ms)
    return points


def _index_history(spec: PathSpec, seed: int, speed: float, start_ms: int) -> _IndexHistory:
    rng = random.Random(f"liqwatch-history:{seed}:{spec.name}")
    uniform, gauss, expovariate = rng.random, rng.gauss, rng.expovariate
    times = _grid(start_ms)
    sim = [(t - start_ms) / 1000.0 * speed for t in times]
    n = len(times)
    logs, highs, lows = [0.0] * n, [0.0] * n, [0.0] * n
    base, drift, vol, jump_size = math.log(spec.start), spec.drift_per_hour, spec.vol_per_sqrt_hour, spec.jump_size
    squares = [r**2 for r in spec.regimes]  # (regime multiplier)², the same float each time it was computed
    log, sqrt, cos, sin = math.log, math.sqrt, math.cos, math.sin
    pending: float | None = None  # the sine draw of the last Box-Muller pair, as Random.gauss keeps it

    switch_rate = spec.regime_switch_per_hour / 3600.0 if len(spec.regimes) > 1 else 0.0
    jump_rate = spec.jump_per_hour / 3600.0 if jump_size > 0 else 0.0
    regime = 0  # the live path starts in its first regime
    next_switch = -expovariate(switch_rate) if switch_rate > 0 else -math.inf
    next_jump = -expovariate(jump_rate) if jump_rate > 0 else -math.inf
    noise = 0.0  # pinned: the history ends exactly where the live path starts
    # The trend is base + drift × t (waypoints shape only what comes after the start).
    b = logs[-1] = base + drift * sim[-1] / 3600.0
    for i in range(n - 1, 0, -1):
        lo_t = sim[i - 1]
        weighted = 0.0  # Σ (regime multiplier)² × simulated seconds over the interval
        t = sim[i]
        while next_switch > lo_t:
            weighted += squares[regime] * (t - next_switch)
            t = next_switch
            others = [k for k in range(len(spec.regimes)) if k != regime]
            regime = others[min(int(uniform() * len(others)), len(others) - 1)]
            next_switch -= expovariate(switch_rate)
        weighted += squares[regime] * (t - lo_t)
        jump = 0.0
        while next_jump > lo_t:  # rare: gauss() itself, handed the pending draw of the inlined one below
            rng.gauss_next = pending  # type: ignore[attr-defined]
            jump += jump_size * gauss()
            pending = rng.gauss_next  # type: ignore[attr-defined]
            next_jump -= expovariate(jump_rate)
        sd = vol * sqrt(weighted / 3600.0)
        # gauss() written out (Random.gauss's Box-Muller pair, bit for bit; a call was a sixth of this loop)
        if pending is None:
            angle = uniform() * _TWO_PI
            radius = sqrt(-2.0 * log(1.0 - uniform()))
            z, pending = cos(angle) * radius, sin(angle) * radius
        else:
            z, pending = pending, None
        noise -= sd * (0.0 + z) + jump
        a = logs[i - 1] = base + drift * lo_t / 3600.0 + noise
        # Extremes of a Brownian bridge from a to b with variance sd²: exact for the diffusion part.
        square, twice_var = (b - a) ** 2, 2 * sd * sd
        highs[i] = (a + b + sqrt(square - twice_var * log(1.0 - uniform()))) / 2
        lows[i] = (a + b - sqrt(square - twice_var * log(1.0 - uniform()))) / 2
        b = a
    decay = [1.0, *(math.exp(-(later - earlier) / _PREMIUM_MEMORY_S) for earlier, later in pairwise(sim))]
    minute_from = start_ms // HOUR_MS * HOUR_MS - MINUTE_HISTORY_HOURS * HOUR_MS
    return _IndexHistory(
        times, sim, logs, highs, lows, list(map(math.exp, logs)), list(map(math.exp, highs)),
        list(map(math.exp, lows)), decay, [sqrt(1.0 - phi * phi) for phi in decay],
        [max(1, (later - earlier) // 1000) for earlier, later in pairwise(times)],
        bisect_left(times, minute_from, 0, n - 1))


def _market_history(m: SimMarket, index: _IndexHistory, seed: int) -> tuple[_History, _History]:
    """(1-minute, 1-hour) history candles of one market's mark; the last of each is the one running at start."""
    rng = random.Random(f"liqwatch-history-premium:{seed}:{m.venue}:{m.symbol}")
    mean, sd = m.premium_mean, m.premium_sd
    decay, fresh = index.decay, index.fresh
    n = len(index.times)
    prem = [mean] * n  # the live premium starts at its mean
    p = mean
    # Point i's draw is the (n - i)-th gauss() of the generator; each new σ-scaled shock is worked out first,
    # a list at a time, as the loop's own ``sd * fresh[i] * gauss()`` would (same operands, same order).
    normals = gauss_draws(rng, n - 1)
    shocks = [sd * f * g for f, g in zip(reversed(fresh[1:]), normals, strict=True)]
    for i, shock in zip(range(n - 1, 0, -1), shocks, strict=True):
        p = prem[i - 1] = mean + decay[i] * (p - mean) + shock
    rounded = m.rounding.many
    marks = rounded([level * (1.0 + q) for level, q in zip(index.levels, prem, strict=True)])
    marks[-1] = m.quantize(m.path.spec.start * (1.0 + mean))  # exactly the live market's first mark
    # Candle k runs from point k to point k + 1; its extremes use the larger / smaller premium of the two.
    # max(a, b) is "b if b > a else a" (so is builtin max: it keeps the first of equals), written out because
    # a conditional costs a fifth of a call of max; min likewise.
    after = prem[1:]
    tops = rounded([level * (1.0 + (b if b > a else a))
                    for level, a, b in zip(index.high_levels[1:], prem, after, strict=False)])
    bottoms = rounded([level * (1.0 + (b if b < a else a))
                       for level, a, b in zip(index.low_levels[1:], prem, after, strict=False)])
    opens, closes = marks[:-1], marks[1:]
    highs = [c if c > (h := o if o > t else t) else h for t, o, c in zip(tops, opens, closes, strict=True)]
    lows = [c if c < (low := o if o < b else b) else low for b, o, c in zip(bottoms, opens, closes, strict=True)]
    times, counts, split, end = index.times, index.counts, index.old_hours, n - 1
    minutes = _History(times[split:end], opens[split:], highs[split:], lows[split:], closes[split:], counts[split:])
    # The 1-minute candles run on the minute from an hour boundary, so each hour is 60 of them in a row.
    starts = range(split, end, _MINUTES_PER_HOUR)
    hours = _History(times[:split] + times[split:end:_MINUTES_PER_HOUR],
                     opens[:split] + opens[split::_MINUTES_PER_HOUR],
                     highs[:split] + [max(highs[k:k + _MINUTES_PER_HOUR]) for k in starts],
                     lows[:split] + [min(lows[k:k + _MINUTES_PER_HOUR]) for k in starts],
                     closes[:split] + [closes[min(k + _MINUTES_PER_HOUR, end) - 1] for k in starts],
                     counts[:split] + [sum(counts[k:k + _MINUTES_PER_HOUR]) for k in starts])
    return minutes, hours


class _History:
    """One market's history candles at one interval, oldest first, kept as columns. A Candle is made when a
    request first reaches it (most ask for the newest ones only) and kept, so a candle is always one object."""

    __slots__ = ("_columns", "_made", "_made_from", "open_ms")

    def __init__(self, open_ms: list[int], opens: list[float], highs: list[float], lows: list[float],
                 closes: list[float], counts: list[int]) -> None:
        self.open_ms = open_ms
        self._columns = (opens, highs, lows, closes, counts)
        self._made: list[Candle] = []  # the candles from _made_from on
        self._made_from = len(open_ms)

    def __len__(self) -> int:
        return len(self.open_ms)

    def candles(self, lo: int, hi: int) -> list[Candle]:
        """The candles from ``lo`` up to ``hi`` (0 <= lo, hi <= len)."""
        if lo >= hi:
            return []
        made_from = self._made_from
        if lo < made_from:
            opens, highs, lows, closes, counts = (column[lo:made_from] for column in self._columns)
            self._made[0:0] = map(Candle, self.open_ms[lo:made_from], opens, highs, lows, closes, counts)
            self._made_from = made_from = lo
        return self._made[lo - made_from:hi - made_from]


@dataclass(frozen=True, slots=True)
class CandleSeries:
    """All candles of one market at one interval, oldest first (what ``MarkCandles.candles`` lists), without a
    copy of the history: its first ``stored`` candles, then ``tail`` (the candle the start fell into joined to
    the live one, and the live candles). ``ordered`` is False once the wall clock stepped back while candles
    were recorded: their open times are then out of order, and windows are found by filtering everything."""

    history: _History  # MarkCandles' own: read here, never changed
    stored: int
    tail: list[Candle]
    ordered: bool
    interval_ms: int
    rows: dict[str, list[Any]] = field(repr=False)  # the formatted history rows, by style (see ``formatted``)

    def __len__(self) -> int:
        return self.stored + len(self.tail)

    def all(self) -> list[Candle]:
        return [*self.history.candles(0, self.stored), *self.tail]

    def between(self, first_ms: int | None, last_ms: int | None, newest: int | None = None) -> list[Candle]:
        """Of the newest ``newest`` candles (None: all), those opening in [first_ms, last_ms] (None: no bound),
        oldest first."""
        if not self.ordered:
            return _inside(self.all() if newest is None else self.all()[-newest:], first_ms, last_ms)
        span = self._span(first_ms, last_ms)
        if newest is not None:
            span = range(max(span.start, range(len(self))[-newest:].start), span.stop)
        return self._slice(span)

    def select(self, start_ms: int | None, end_ms: int | None, limit: int) -> list[Candle]:
        """Binance's window: from ``start_ms`` the first ``limit``; without it, the last ``limit`` up to ``end_ms``."""
        if not self.ordered:
            inside = _inside(self.all(), start_ms, end_ms)
            return inside[:limit] if start_ms is not None else inside[-limit:]
        span = self._span(start_ms, end_ms)
        return self._slice(span[:limit] if start_ms is not None else span[-limit:])

    def newest_first(self, first_ms: int | None, last_ms: int | None, limit: int) -> list[Candle]:
        """OKX's page: of the candles opening in [first_ms, last_ms], the first ``limit`` newest first."""
        if not self.ordered:
            return _inside(self.all(), first_ms, last_ms)[::-1][:limit]
        span = self._span(first_ms, last_ms)[::-1][:limit]
        return self._slice(range(span[-1], span[0] + 1))[::-1] if span else []

    def formatted(self, candles: Iterable[Candle], style: str, fmt: Callable[[Candle], Row]) -> list[Row]:
        """``fmt`` of each candle. A history candle never changes, so its row is made once per ``style`` (a name
        of ``fmt``: one function per style and series) and kept for later requests; the others every time. The
        rows are shared: a caller must not change them."""
        history = self.history
        cache = self.rows.get(style)
        if cache is None:
            cache = self.rows[style] = [None] * len(history)
        first_ms, interval_ms, size = history.open_ms[0], self.interval_ms, len(history)
        made, made_from = history._made, history._made_from  # the candles made so far
        out: list[Row] = []
        for c in candles:
            k = (c.open_ms - first_ms) // interval_ms  # history candles are one interval apart
            if made_from <= k < size and made[k - made_from] is c:
                row = cache[k]
                if row is None:
                    row = cache[k] = fmt(c)
            else:
                row = fmt(c)
            out.append(row)
        return out

    def _span(self, first_ms: int | None, last_ms: int | None) -> range:
        lo = 0 if first_ms is None else self._position(first_ms, bisect_left)
        hi = len(self) if last_ms is None else self._position(last_ms, bisect_right)
        return range(lo, max(lo, hi))

    def _position(self, open_ms: int, bisect: Callable[..., int]) -> int:
        i: int = bisect(self.history.open_ms, open_ms, 0, self.stored)
        return i if i < self.stored else self.stored + bisect(self.tail, open_ms, key=_open_ms)

    def _slice(self, span: range) -> list[Candle]:
        lo, hi, stored = span.start, span.stop, self.stored
        if hi <= stored:
            return self.history.candles(lo, hi)
        if lo >= stored:
            return self.tail[lo - stored:hi - stored]
        return [*self.history.candles(lo, stored), *self.tail[:hi - stored]]


def _inside(candles: list[Candle], first_ms: int | None, last_ms: int | None) -> list[Candle]:
    return [c for c in candles if (first_ms is None or c.open_ms >= first_ms)
            and (last_ms is None or c.open_ms <= last_ms)]


class MarkCandles:
    """Candles of every market's mark: synthesized history (on first use) joined to the recorded live ones."""

    def __init__(self, market: Market, *, start_ms: int, speed: float, seed: int) -> None:
        self.market = market
        self.start_ms = start_ms
        self.speed = speed
        self.seed = seed
        self._index: dict[str, _IndexHistory] = {}
        self._history: dict[tuple[Venue, str], tuple[_History, _History]] = {}
        self._live: dict[tuple[Venue, str, int], deque[Candle]] = {}
        self._stepped_back: set[tuple[Venue, str, int]] = set()  # live candles whose open times went backwards
        self._rows: dict[tuple[Venue, str, int], dict[str, list[Any]]] = {}

    def record(self, now_ms: int) -> None:
        """After a step: every market's mark goes into its running 1-minute and 1-hour candle."""
        for m in self.market.all_markets():
            for interval_ms, kept in ((MINUTE_MS, _LIVE_MINUTES_KEPT), (HOUR_MS, None)):
                key = (m.venue, m.symbol, interval_ms)
                series = self._live.setdefault(key, deque(maxlen=kept))
                bucket = now_ms // interval_ms * interval_ms
                if series and series[-1].open_ms == bucket:
                    series[-1].add(m.mark)
                else:
                    if series and bucket < series[-1].open_ms:
                        self._stepped_back.add(key)
                    series.append(Candle(bucket, m.mark, m.mark, m.mark, m.mark, 1))

    def _history_of(self, m: SimMarket) -> tuple[_History, _History]:
        key = (m.venue, m.symbol)
        if key not in self._history:
            name = m.path.name
            if name not in self._index:
                self._index[name] = _index_history(m.path.spec, self.seed, self.speed, self.start_ms)
            self._history[key] = _market_history(m, self._index[name], self.seed)
        return self._history[key]

    def series(self, m: SimMarket, interval_ms: int) -> CandleSeries:
        """All candles of ``m`` at ``interval_ms`` (1 minute or 1 hour), oldest first; the last one is running."""
        minutes, hours = self._history_of(m)
        history = minutes if interval_ms == MINUTE_MS else hours
        key = (m.venue, m.symbol, interval_ms)
        rows = self._rows.setdefault(key, {})
        ordered = key not in self._stepped_back
        live = list(self._live.get(key, ()))
        if not live:
            return CandleSeries(history, len(history), [], ordered, interval_ms, rows)
        last = len(history) - 1
        if live[0].open_ms == history.open_ms[last]:  # the candle the start fell into: history, then live marks
            live[0] = _merge(history.candles(last, last + 1)[0], live[0])
            return CandleSeries(history, last, live, ordered, interval_ms, rows)
        stored = bisect_left(history.open_ms, live[0].open_ms)  # those opening before the live ones
        return CandleSeries(history, stored, live, ordered, interval_ms, rows)

    def candles(self, m: SimMarket, interval_ms: int) -> list[Candle]:
        """All candles of ``m`` at ``interval_ms`` (1 minute or 1 hour), oldest first; the last one is running."""
        return self.series(m, interval_ms).all()


def stationary_sigma_hour(spec: PathSpec, speed: float = 1.0) -> float:
    """The σ per wall-clock hour of a path's log returns in the long run: its volatility averaged over the
    regimes (each equally likely in the long run, as the path switches to a uniformly drawn other one) plus
    its jumps, at ``speed`` simulated hours per hour. The premium's noise adds a little on 1-minute returns."""
    mean_sq = sum(m * m for m in spec.regimes) / len(spec.regimes)
    jumps = spec.jump_per_hour * spec.jump_size**2 if spec.jump_size > 0 else 0.0
    return math.sqrt(speed * (spec.vol_per_sqrt_hour**2 * mean_sq + jumps))
