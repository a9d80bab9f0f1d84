"""Seeding σ from candles and the hand-over to live marks (liqwatch.risk.volatility)."""

from __future__ import annotations

import itertools
import math
import random
import statistics

import pytest

from liqwatch.risk.volatility import MinuteVolatility

T0 = 1_700_000_040.0  # a whole minute


def _walk(n: int, sd: float, seed: int, start: float = 100.0) -> list[float]:
    rng = random.Random(seed)
    out = [start]
    for _ in range(n - 1):
        out.append(out[-1] * math.exp(rng.gauss(0, sd)))
    return out


def _sd(closes: list[float]) -> float:
    return statistics.stdev(math.log(b / a) for a, b in itertools.pairwise(closes))


def test_a_seed_fills_the_recent_window_at_once() -> None:
    closes = _walk(122, 0.001, 1)
    vol = MinuteVolatility(window_minutes=60)
    vol.seed([(T0 + 60 * i, c) for i, c in enumerate(closes)], [])
    # The last candle is still running: the window holds the 60 returns before it.
    assert vol.count == 60
    assert vol.recent_sigma_hour() == pytest.approx(_sd(closes[-62:-1]) * math.sqrt(60), rel=1e-9)
    assert vol.sigma_hour() == vol.recent_sigma_hour()  # no hourly history: the recent estimate alone


def test_live_minutes_take_over_the_seeded_window() -> None:
    vol = MinuteVolatility(window_minutes=60)
    vol.seed([(T0 + 60 * i, c) for i, c in enumerate(_walk(122, 0.05, 2))], [])  # a wild history
    live = _walk(62, 0.0005, 3)
    t = T0 + 60 * 122
    for close in live:
        vol.update(t + 30, close * 1.01)  # ticks inside the minute; the last one closes it
        vol.update(t + 59, close)
        t += 60
    # Sixty-one live minutes have closed: the window is all live now.
    assert vol.recent_sigma_hour() == pytest.approx(_sd(live[:-1]) * math.sqrt(60), rel=1e-9)


def test_a_seed_after_live_marks_goes_before_them() -> None:
    vol = MinuteVolatility(window_minutes=60)
    live = _walk(22, 0.001, 4)
    start = T0 + 60 * 300
    for i, close in enumerate(live):
        vol.update(start + 60 * i, close)
    assert vol.count == 20
    old = _walk(200, 0.001, 5)
    # Candles up to now, including minutes the live marks already cover: only the older ones are used.
    vol.seed([(start + 60 * (i - 200), c) for i, c in enumerate(old)] + [(start, 1e9)], [])
    assert vol.count == 60
    rets = [math.log(b / a) for a, b in itertools.pairwise(old)][-40:] + [
        math.log(b / a) for a, b in itertools.pairwise(live[:-1])]
    assert vol.recent_sigma_hour() == pytest.approx(statistics.stdev(rets) * math.sqrt(60), rel=1e-9)


def test_sigma_is_the_larger_of_the_recent_and_the_30_day_estimate() -> None:
    hours = _walk(722, 0.01, 6)
    quiet = _walk(122, 0.0002, 7)
    vol = MinuteVolatility()
    vol.seed([(T0 + 60 * i, c) for i, c in enumerate(quiet)], [(T0 - 3600 * (722 - i), c) for i, c in enumerate(hours)])
    assert vol.hours.count == 720
    assert vol.long_sigma_hour() == pytest.approx(_sd(hours[:-1]), rel=1e-9)
    assert vol.sigma_hour() == vol.long_sigma_hour()  # a quiet hour does not talk σ below a normal one
    wild = MinuteVolatility()
    wild.seed([(T0 + 60 * i, c) for i, c in enumerate(_walk(122, 0.01, 8))],
              [(T0 - 3600 * (722 - i), c) for i, c in enumerate(hours)])
    assert wild.sigma_hour() == wild.recent_sigma_hour() > wild.long_sigma_hour()  # a burst shows at once
    only_hours = MinuteVolatility()
    only_hours.seed([], [(T0 - 3600 * (30 - i), c) for i, c in enumerate(hours[:30])])
    assert only_hours.sigma_hour() == only_hours.long_sigma_hour() is not None
    assert MinuteVolatility().sigma_hour() is None


def test_bad_candle_prices_are_skipped() -> None:
    vol = MinuteVolatility(window_minutes=60)
    closes = _walk(30, 0.001, 9)
    vol.seed([(T0 + 60 * i, c) for i, c in enumerate(closes)] + [(T0 + 60 * 40, 0.0), (T0 + 60 * 41, math.nan)], [])
    assert vol.count == 28


async def test_forward_pages_continue_after_a_full_page_and_stop_at_a_short_one() -> None:
    from liqwatch.feeds.candles import forward_pages
    from liqwatch.feeds.wire import CandleClose

    served = [CandleClose(60_000 * i, 100.0 + i) for i in range(25)]
    asked: list[int] = []

    async def page(start_ms: int) -> list[CandleClose]:  # a server that answers at most 10 candles
        asked.append(start_ms)
        return [c for c in served if c.open_ms >= start_ms][:10]

    got = await forward_pages(page, 0, 60_000, 10)
    assert got == served and asked == [0, 600_000, 1_200_000]
