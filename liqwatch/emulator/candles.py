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
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

from liqwatch.emulator.market import Market, SimMarket, Venue
from liqwatch.emulator.scenario import PathSpec

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
INTERVALS_MS = {"1m": MINUTE_MS, "1h": HOUR_MS}
MINUTE_HISTORY_HOURS = 24
HOUR_HISTORY_DAYS = 32  # a little more than the 30 days a client asks for, so a running emulator still has them
_LIVE_MINUTES_KEPT = 7 * 24 * 60
_PREMIUM_MEMORY_S = 300.0  # as in the live market (liqwatch.emulator.market)


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


def _by_interval(candles: list[Candle], interval_ms: int) -> list[Candle]:
    out: list[Candle] = []
    for c in candles:
        bucket = c.open_ms // interval_ms * interval_ms
        if out and out[-1].open_ms == bucket:
            out[-1] = _merge(out[-1], c)
        else:
            out.append(Candle(bucket, c.open, c.high, c.low, c.close, c.count))
    return out


@dataclass(frozen=True, slots=True)
class _IndexHistory:
    """One path before the start: grid times (wall ms, ascending, the last is the start), the log index at
    each, and the log high/low of the interval that ends at each (index 0 unused)."""

    times: list[int]
    sim_times: list[float]  # simulated seconds relative to the start (<= 0)
    logs: list[float]
    highs: list[float]
    lows: list[float]


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
    times = _grid(start_ms)
    sim = [(t - start_ms) / 1000.0 * speed for t in times]
    n = len(times)
    logs, highs, lows = [0.0] * n, [0.0] * n, [0.0] * n
    base = math.log(spec.start)

    def trend(i: int) -> float:
        return base + spec.drift_per_hour * sim[i] / 3600.0  # waypoints shape only what comes after the start

    switch_rate = spec.regime_switch_per_hour / 3600.0 if len(spec.regimes) > 1 else 0.0
    jump_rate = spec.jump_per_hour / 3600.0 if spec.jump_size > 0 else 0.0
    regime = 0  # the live path starts in its first regime
    next_switch = -rng.expovariate(switch_rate) if switch_rate > 0 else -math.inf
    next_jump = -rng.expovariate(jump_rate) if jump_rate > 0 else -math.inf
    noise = 0.0  # pinned: the history ends exactly where the live path starts
    logs[-1] = trend(n - 1)
    for i in range(n - 1, 0, -1):
        hi_t, lo_t = sim[i], sim[i - 1]
        weighted = 0.0  # Σ (regime multiplier)² × simulated seconds over the interval
        t = hi_t
        while next_switch > lo_t:
            weighted += spec.regimes[regime] ** 2 * (t - next_switch)
            t = next_switch
            others = [k for k in range(len(spec.regimes)) if k != regime]
            regime = others[min(int(rng.random() * len(others)), len(others) - 1)]
            next_switch -= rng.expovariate(switch_rate)
        weighted += spec.regimes[regime] ** 2 * (t - lo_t)
        jump = 0.0
        while next_jump > lo_t:
            jump += spec.jump_size * rng.gauss()
            next_jump -= rng.expovariate(jump_rate)
        sd = spec.vol_per_sqrt_hour * math.sqrt(weighted / 3600.0)
        noise -= sd * rng.gauss() + jump
        logs[i - 1] = trend(i - 1) + noise
        a, b = logs[i - 1], logs[i]
        # Extremes of a Brownian bridge from a to b with variance sd²: exact for the diffusion part.
        highs[i] = (a + b + math.sqrt((b - a) ** 2 - 2 * sd * sd * math.log(1.0 - rng.random()))) / 2
        lows[i] = (a + b - math.sqrt((b - a) ** 2 - 2 * sd * sd * math.log(1.0 - rng.random()))) / 2
    return _IndexHistory(times, sim, logs, highs, lows)


def _market_history(m: SimMarket, index: _IndexHistory, seed: int) -> tuple[list[Candle], list[Candle]]:
    """(1-minute, 1-hour) history candles of one market's mark; the last of each is the one running at start."""
    rng = random.Random(f"liqwatch-history-premium:{seed}:{m.venue}:{m.symbol}")
    n = len(index.times)
    prem = [m.premium_mean] * n  # the live premium starts at its mean
    for i in range(n - 1, 0, -1):
        phi = math.exp(-(index.sim_times[i] - index.sim_times[i - 1]) / _PREMIUM_MEMORY_S)
        prem[i - 1] = m.premium_mean + phi * (prem[i] - m.premium_mean) + m.premium_sd * math.sqrt(
            1.0 - phi * phi) * rng.gauss()
    marks = [m.quantize(math.exp(index.logs[i]) * (1.0 + prem[i])) for i in range(n)]
    marks[-1] = m.quantize(m.path.spec.start * (1.0 + m.premium_mean))  # exactly the live market's first mark
    minutes: list[Candle] = []
    old_hours: list[Candle] = []
    minute_from = index.times[-1] // HOUR_MS * HOUR_MS - MINUTE_HISTORY_HOURS * HOUR_MS
    for i in range(1, n):
        o, c = marks[i - 1], marks[i]
        top = m.quantize(math.exp(index.highs[i]) * (1.0 + max(prem[i - 1], prem[i])))
        bottom = m.quantize(math.exp(index.lows[i]) * (1.0 + min(prem[i - 1], prem[i])))
        seconds = (index.times[i] - index.times[i - 1]) // 1000
        candle = Candle(index.times[i - 1], o, max(top, o, c), min(bottom, o, c), c, max(1, seconds))
        (minutes if index.times[i - 1] >= minute_from else old_hours).append(candle)
    return _by_interval(minutes, MINUTE_MS), old_hours + _by_interval(minutes, HOUR_MS)


class MarkCandles:
    """Candles of every market's mark: synthesized history (on first use) joined to the recorded live ones."""

    def __init__(self, market: Market, *, start_ms: int, speed: float, seed: int) -> None:
        self.market = market
        self.start_ms = start_ms
        self.speed = speed
        self.seed = seed
        self._index: dict[str, _IndexHistory] = {}
        self._history: dict[tuple[Venue, str], tuple[list[Candle], list[Candle]]] = {}
        self._live: dict[tuple[Venue, str, int], deque[Candle]] = {}

    def record(self, now_ms: int) -> None:
        """After a step: every market's mark goes into its running 1-minute and 1-hour candle."""
        for m in self.market.all_markets():
            for interval_ms, kept in ((MINUTE_MS, _LIVE_MINUTES_KEPT), (HOUR_MS, None)):
                series = self._live.setdefault((m.venue, m.symbol, interval_ms), deque(maxlen=kept))
                bucket = now_ms // interval_ms * interval_ms
                if series and series[-1].open_ms == bucket:
                    series[-1].add(m.mark)
                else:
                    series.append(Candle(bucket, m.mark, m.mark, m.mark, m.mark, 1))

    def _history_of(self, m: SimMarket) -> tuple[list[Candle], list[Candle]]:
        key = (m.venue, m.symbol)
        if key not in self._history:
            name = m.path.name
            if name not in self._index:
                self._index[name] = _index_history(m.path.spec, self.seed, self.speed, self.start_ms)
            self._history[key] = _market_history(m, self._index[name], self.seed)
        return self._history[key]

    def candles(self, m: SimMarket, interval_ms: int) -> list[Candle]:
        """All candles of ``m`` at ``interval_ms`` (1 minute or 1 hour), oldest first; the last one is running."""
        minutes, hours = self._history_of(m)
        history = minutes if interval_ms == MINUTE_MS else hours
        live = list(self._live.get((m.venue, m.symbol, interval_ms), ()))
        if not live:
            return list(history)
        if live[0].open_ms == history[-1].open_ms:  # the candle the start fell into: history, then live marks
            return [*history[:-1], _merge(history[-1], live[0]), *live[1:]]
        return [*(c for c in history if c.open_ms < live[0].open_ms), *live]


def select(candles: list[Candle], start_ms: int | None, end_ms: int | None, limit: int) -> list[Candle]:
    """Binance's window: from ``start_ms`` the first ``limit``; without it, the last ``limit`` up to ``end_ms``."""
    inside = [c for c in candles if (start_ms is None or c.open_ms >= start_ms)
              and (end_ms is None or c.open_ms <= end_ms)]
    return inside[:limit] if start_ms is not None else inside[-limit:]


def stationary_sigma_hour(spec: PathSpec, speed: float = 1.0) -> float:
    """The σ per wall-clock hour of a path's log returns in the long run: its volatility averaged over the
    regimes (each equally likely in the long run, as the path switches to a uniformly drawn other one) plus
    its jumps, at ``speed`` simulated hours per hour. The premium's noise adds a little on 1-minute returns."""
    mean_sq = sum(m * m for m in spec.regimes) / len(spec.regimes)
    jumps = spec.jump_per_hour * spec.jump_size**2 if spec.jump_size > 0 else 0.0
    return math.sqrt(speed * (spec.vol_per_sqrt_hour**2 * mean_sq + jumps))
