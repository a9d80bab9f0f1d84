"""REFERENCE IMPLEMENTATION, for tests and benchmarks only: the mark-price candle history and its serving as
liqwatch.emulator.candles and the four venues' kline handlers computed them before they were optimized
(commit ef43174), kept straightforward on purpose. test_emu_candles_identity.py proves the optimized code
returns exactly what this returns; benchmarks/bench_emu_candles.py times both. Do not optimize this file.
"""

from __future__ import annotations

import math
import random
from collections import deque
from typing import Any

from liqwatch.emulator.candles import HOUR_HISTORY_DAYS, HOUR_MS, MINUTE_HISTORY_HOURS, MINUTE_MS, Candle
from liqwatch.emulator.fmt import fixed, hl_px, precise_price, round_sig
from liqwatch.emulator.market import Market, SimMarket, Venue
from liqwatch.emulator.scenario import PathSpec

_LIVE_MINUTES_KEPT = 7 * 24 * 60
_PREMIUM_MEMORY_S = 300.0


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


def _grid(start_ms: int) -> list[int]:
    minute0 = start_ms // MINUTE_MS * MINUTE_MS
    minute_from = start_ms // HOUR_MS * HOUR_MS - MINUTE_HISTORY_HOURS * HOUR_MS
    hours = HOUR_HISTORY_DAYS * 24 - MINUTE_HISTORY_HOURS
    points = [minute_from - k * HOUR_MS for k in range(hours, 0, -1)]
    points.extend(range(minute_from, minute0 + 1, MINUTE_MS))
    if points[-1] != start_ms:
        points.append(start_ms)
    return points


def reference_quantize(m: SimMarket, market: Market, price: float) -> float:
    """SimMarket._quantize as it was: the venue branch taken on every price; decimals from the scenario."""
    if m.venue is Venue.HYPERLIQUID:
        return round_sig(price, 5, 6 - market.hyperliquid_specs[m.symbol].sz_decimals)
    if m.venue is Venue.BYBIT:
        return round(price, market.bybit_specs[m.symbol].price_decimals)
    return round(price, 8)


def index_history(spec: PathSpec, seed: int, speed: float, start_ms: int) -> tuple[list[int], list[float],
                                                                                   list[float], list[float],
                                                                                   list[float]]:
    """(times, sim_times, logs, highs, lows) of one path before the start."""
    rng = random.Random(f"liqwatch-history:{seed}:{spec.name}")
    times = _grid(start_ms)
    sim = [(t - start_ms) / 1000.0 * speed for t in times]
    n = len(times)
    logs, highs, lows = [0.0] * n, [0.0] * n, [0.0] * n
    base = math.log(spec.start)

    def trend(i: int) -> float:
        return base + spec.drift_per_hour * sim[i] / 3600.0

    switch_rate = spec.regime_switch_per_hour / 3600.0 if len(spec.regimes) > 1 else 0.0
    jump_rate = spec.jump_per_hour / 3600.0 if spec.jump_size > 0 else 0.0
    regime = 0
    next_switch = -rng.expovariate(switch_rate) if switch_rate > 0 else -math.inf
    next_jump = -rng.expovariate(jump_rate) if jump_rate > 0 else -math.inf
    noise = 0.0
    logs[-1] = trend(n - 1)
    for i in range(n - 1, 0, -1):
        hi_t, lo_t = sim[i], sim[i - 1]
        weighted = 0.0
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
        highs[i] = (a + b + math.sqrt((b - a) ** 2 - 2 * sd * sd * math.log(1.0 - rng.random()))) / 2
        lows[i] = (a + b - math.sqrt((b - a) ** 2 - 2 * sd * sd * math.log(1.0 - rng.random()))) / 2
    return times, sim, logs, highs, lows


def market_history(m: SimMarket, market: Market, index: tuple[list[int], list[float], list[float], list[float],
                                                               list[float]], seed: int) -> tuple[list[Candle],
                                                                                                 list[Candle]]:
    times, sim_times, logs, highs, lows = index
    rng = random.Random(f"liqwatch-history-premium:{seed}:{m.venue}:{m.symbol}")
    n = len(times)
    prem = [m.premium_mean] * n
    for i in range(n - 1, 0, -1):
        phi = math.exp(-(sim_times[i] - sim_times[i - 1]) / _PREMIUM_MEMORY_S)
        prem[i - 1] = m.premium_mean + phi * (prem[i] - m.premium_mean) + m.premium_sd * math.sqrt(
            1.0 - phi * phi) * rng.gauss()
    marks = [reference_quantize(m, market, math.exp(logs[i]) * (1.0 + prem[i])) for i in range(n)]
    marks[-1] = reference_quantize(m, market, m.path.spec.start * (1.0 + m.premium_mean))
    minutes: list[Candle] = []
    old_hours: list[Candle] = []
    minute_from = times[-1] // HOUR_MS * HOUR_MS - MINUTE_HISTORY_HOURS * HOUR_MS
    for i in range(1, n):
        o, c = marks[i - 1], marks[i]
        top = reference_quantize(m, market, math.exp(highs[i]) * (1.0 + max(prem[i - 1], prem[i])))
        bottom = reference_quantize(m, market, math.exp(lows[i]) * (1.0 + min(prem[i - 1], prem[i])))
        seconds = (times[i] - times[i - 1]) // 1000
        candle = Candle(times[i - 1], o, max(top, o, c), min(bottom, o, c), c, max(1, seconds))
        (minutes if times[i - 1] >= minute_from else old_hours).append(candle)
    return _by_interval(minutes, MINUTE_MS), old_hours + _by_interval(minutes, HOUR_MS)


class ReferenceCandles:
    """MarkCandles as it was. ``record`` must be called after every step of the simulation it shadows."""

    def __init__(self, market: Market, *, start_ms: int, speed: float, seed: int) -> None:
        self.market = market
        self.start_ms = start_ms
        self.speed = speed
        self.seed = seed
        self._index: dict[str, Any] = {}
        self._history: dict[tuple[Venue, str], tuple[list[Candle], list[Candle]]] = {}
        self._live: dict[tuple[Venue, str, int], deque[Candle]] = {}

    def record(self, now_ms: int) -> None:
        for m in self.market.all_markets():
            for interval_ms, kept in ((MINUTE_MS, _LIVE_MINUTES_KEPT), (HOUR_MS, None)):
                series = self._live.setdefault((m.venue, m.symbol, interval_ms), deque(maxlen=kept))
                bucket = now_ms // interval_ms * interval_ms
                if series and series[-1].open_ms == bucket:
                    series[-1].add(m.mark)
                else:
                    series.append(Candle(bucket, m.mark, m.mark, m.mark, m.mark, 1))

    def history_of(self, m: SimMarket) -> tuple[list[Candle], list[Candle]]:
        key = (m.venue, m.symbol)
        if key not in self._history:
            name = m.path.name
            if name not in self._index:
                self._index[name] = index_history(m.path.spec, self.seed, self.speed, self.start_ms)
            self._history[key] = market_history(m, self.market, self._index[name], self.seed)
        return self._history[key]

    def candles(self, m: SimMarket, interval_ms: int) -> list[Candle]:
        minutes, hours = self.history_of(m)
        history = minutes if interval_ms == MINUTE_MS else hours
        live = list(self._live.get((m.venue, m.symbol, interval_ms), ()))
        if not live:
            return list(history)
        if live[0].open_ms == history[-1].open_ms:
            return [*history[:-1], _merge(history[-1], live[0]), *live[1:]]
        return [*(c for c in history if c.open_ms < live[0].open_ms), *live]


def select(candles: list[Candle], start_ms: int | None, end_ms: int | None, limit: int) -> list[Candle]:
    inside = [c for c in candles if (start_ms is None or c.open_ms >= start_ms)
              and (end_ms is None or c.open_ms <= end_ms)]
    return inside[:limit] if start_ms is not None else inside[-limit:]


# --- the served rows, as each venue's handler built them --------------------------------------------------

def binance_rows(candles: list[Candle], interval_ms: int, start: int | None, end: int | None,
                 limit: int) -> list[Any]:
    return [[c.open_ms, fixed(c.open, 8), fixed(c.high, 8), fixed(c.low, 8), fixed(c.close, 8), "0",
             c.open_ms + interval_ms - 1, "0", c.count, "0", "0", "0"]
            for c in select(candles, start, end, limit)]


def hyperliquid_rows(candles: list[Candle], coin: str, interval: str, interval_ms: int, max_decimals: int,
                     start: int, end: int | None) -> list[Any]:
    rows = [c for c in candles[-5000:] if c.open_ms >= start and (end is None or c.open_ms <= end)]
    return [{"t": c.open_ms, "T": c.open_ms + interval_ms - 1, "s": coin, "i": interval,
             "o": hl_px(c.open, max_decimals), "c": hl_px(c.close, max_decimals), "h": hl_px(c.high, max_decimals),
             "l": hl_px(c.low, max_decimals), "v": "0.0", "n": c.count} for c in rows]


def bybit_rows(candles: list[Candle], decimals: int, start: int | None, end: int | None, limit: int) -> list[Any]:
    rows = select(candles, start, end, limit)
    return [[str(c.open_ms), fixed(c.open, decimals), fixed(c.high, decimals), fixed(c.low, decimals),
             fixed(c.close, decimals)] for c in reversed(rows)]


def okx_rows(candles: list[Candle], bar_ms: int, now_ms: int, after: int | None, before: int | None,
             limit: int) -> list[Any]:
    rows = [c for c in candles if (after is None or c.open_ms < after) and (before is None or c.open_ms > before)]
    rows = rows[::-1][:limit]
    return [[str(c.open_ms), precise_price(c.open), precise_price(c.high), precise_price(c.low),
             precise_price(c.close), "1" if c.open_ms + bar_ms <= now_ms else "0"] for c in rows]
