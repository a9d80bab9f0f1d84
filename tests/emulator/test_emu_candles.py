"""Mark-price klines: Binance GET /fapi/v1/markPriceKlines and Hyperliquid candleSnapshot, in the exchanges'
shapes and limits, with a history synthesized from the market's own price process (issue 9, σ at start)."""

from __future__ import annotations

import asyncio
import itertools
import math
import statistics
from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from liqwatch.clock import FakeClock
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.emulator.candles import HOUR_MS, MINUTE_MS, stationary_sigma_hour
from liqwatch.emulator.simulation import Simulation

from .helpers import LIMIT_S, binance_ccxt, hyperliquid_ccxt

KLINES = "/fapi/v1/markPriceKlines"


async def _get(emu: EmulatorServer, params: dict[str, str]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as s, s.get(emu.rest_url + KLINES, params=params) as r:
        return r.status, await r.json()


async def _info(emu: EmulatorServer, body: dict[str, Any]) -> tuple[int, Any]:
    async with aiohttp.ClientSession() as s, s.post(emu.rest_url + "/info", json=body) as r:
        return r.status, (await r.json() if r.status == 200 else await r.text())


def _sigma(closes: list[float]) -> float:
    return statistics.stdev(math.log(b / a) for a, b in itertools.pairwise(closes))


async def test_binance_mark_price_klines_have_binances_shape_and_limits(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        status, rows = await _get(emu, {"symbol": "BTCUSDT", "interval": "1m"})
        assert status == 200 and len(rows) == 500  # Binance's default limit
        status, rows = await _get(emu, {"symbol": "BTCUSDT", "interval": "1h", "limit": "1500"})
        assert status == 200 and len(rows) >= 30 * 24
        for row in rows:
            assert len(row) == 12
            open_ms, o, h, lo, c, _, close_ms, _, count, *_ = row
            assert isinstance(open_ms, int) and close_ms == open_ms + HOUR_MS - 1 and isinstance(count, int)
            assert all(isinstance(x, str) for x in (o, h, lo, c))
            assert float(lo) <= min(float(o), float(c)) <= max(float(o), float(c)) <= float(h)
        opens = [r[0] for r in rows]
        assert all(b - a == HOUR_MS for a, b in itertools.pairwise(opens))
        # The last row is the running candle: it closes at the current mark.
        m = emu.market.binance["BTCUSDT"]
        assert opens[-1] == emu.sim.now_ms() // HOUR_MS * HOUR_MS and float(rows[-1][4]) == m.mark

        # startTime: the first `limit` from it; endTime alone: the last `limit` up to it.
        start = opens[10]
        _, page = await _get(emu, {"symbol": "BTCUSDT", "interval": "1h", "startTime": str(start), "limit": "3"})
        assert [r[0] for r in page] == opens[10:13]
        _, page = await _get(emu, {"symbol": "BTCUSDT", "interval": "1h", "endTime": str(start), "limit": "3"})
        assert [r[0] for r in page] == opens[8:11]

        status, err = await _get(emu, {"symbol": "BTCUSDT", "interval": "1m", "limit": "1501"})
        assert status == 400 and err["code"] == -1130
        status, err = await _get(emu, {"symbol": "BTCUSDT", "interval": "7m"})
        assert status == 400 and err["code"] == -1120
        status, err = await _get(emu, {"interval": "1m"})
        assert status == 400 and err["code"] == -1102
        status, err = await _get(emu, {"symbol": "NOPEUSDT", "interval": "1m"})
        assert status == 400 and err["code"] == -1121


async def test_hyperliquid_candle_snapshot_has_hyperliquids_shape(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        now = emu.sim.now_ms()
        req = {"coin": "BTC", "interval": "1h", "startTime": now - 30 * 24 * HOUR_MS, "endTime": now}
        status, candles = await _info(emu, {"type": "candleSnapshot", "req": req})
        assert status == 200 and len(candles) in (720, 721)
        for c in candles:
            assert set(c) == {"t", "T", "s", "i", "o", "c", "h", "l", "v", "n"}
            assert c["T"] == c["t"] + HOUR_MS - 1 and c["s"] == "BTC" and c["i"] == "1h"
            assert isinstance(c["n"], int) and all(isinstance(c[k], str) for k in "ohlcv")
            assert float(c["l"]) <= min(float(c["o"]), float(c["c"])) <= max(float(c["o"]), float(c["c"])) <= float(
                c["h"])
        assert float(candles[-1]["c"]) == emu.market.hyperliquid["BTC"].mark
        # At most the most recent 5000 candles exist, whatever the range asked for.
        req = {"coin": "BTC", "interval": "1m", "startTime": 0}
        status, minutes = await _info(emu, {"type": "candleSnapshot", "req": req})
        assert status == 200 and 0 < len(minutes) <= 5000 and minutes[-1]["t"] == now // MINUTE_MS * MINUTE_MS
        status, _ = await _info(emu, {"type": "candleSnapshot", "req": {**req, "interval": "7m"}})
        assert status == 422
        status, none = await _info(emu, {"type": "candleSnapshot", "req": {**req, "coin": "NOPE"}})
        assert status == 200 and none == []


async def test_stock_ccxt_reads_the_candles(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = binance_ccxt(emu, "A" * 60 + "0001", "secretA" * 8)
        try:
            ohlcv = await ex.fetch_mark_ohlcv("BTC/USDT:USDT", "1h", limit=720)
            assert len(ohlcv) == 720 and ohlcv[-1][4] == emu.market.binance["BTCUSDT"].mark
            assert all(b[0] - a[0] == HOUR_MS for a, b in itertools.pairwise(ohlcv))
        finally:
            await ex.close()
        hl = hyperliquid_ccxt(emu, "0x" + "a" * 39 + "1")
        try:
            ohlcv = await hl.fetch_ohlcv("BTC/USDC:USDC", "1m", limit=120)
            assert 119 <= len(ohlcv) <= 121 and ohlcv[-1][4] == emu.market.hyperliquid["BTC"].mark
        finally:
            await hl.close()


@pytest.mark.parametrize("speed", [1.0, 5.0])
def test_history_has_the_volatility_of_the_live_path(speed: float) -> None:
    """30 days of hourly closes: σ within 12 % (about 3 standard errors with regimes and jumps) of the path's
    long-run σ per wall-clock hour at this speed, the same σ its live marks have."""
    clock = FakeClock(datetime(2026, 1, 1, 7, 58, 30, tzinfo=UTC))
    sim = Simulation(demo_scenario(), seed=11, speed=speed, clock=clock)
    for m in sim.market.all_markets():
        hours = sim.candles.candles(m, HOUR_MS)[-721:]
        expected = stationary_sigma_hour(m.path.spec, speed)
        assert _sigma([c.close for c in hours]) == pytest.approx(expected, rel=0.12), (m.venue, m.symbol)
    # A path without regimes or jumps (ETH): 1-minute closes over a day, scaled to an hour, agree too.
    eth = sim.market.binance["ETHUSDT"]
    minutes = sim.candles.candles(eth, MINUTE_MS)[-24 * 60:]
    assert _sigma([c.close for c in minutes]) * math.sqrt(60) == pytest.approx(
        stationary_sigma_hour(eth.path.spec, speed), rel=0.10)


def test_history_is_deterministic_and_leaves_the_live_market_alone() -> None:
    def sim(seed: int) -> Simulation:
        return Simulation(demo_scenario(), seed=seed, speed=1.0,
                          clock=FakeClock(datetime(2026, 1, 1, 7, 58, 30, tzinfo=UTC)))

    a, b, c = sim(11), sim(11), sim(12)
    closes = [x.close for x in a.candles.candles(a.market.binance["BTCUSDT"], HOUR_MS)]
    assert closes == [x.close for x in b.candles.candles(b.market.binance["BTCUSDT"], HOUR_MS)]
    assert closes != [x.close for x in c.candles.candles(c.market.binance["BTCUSDT"], HOUR_MS)]
    untouched = sim(11)
    for _ in range(120):
        a.step()
        untouched.step()
    assert [m.mark for m in a.market.all_markets()] == [m.mark for m in untouched.market.all_markets()]


def test_live_marks_continue_the_history() -> None:
    clock = FakeClock(datetime(2026, 1, 1, 7, 58, 30, tzinfo=UTC))
    sim = Simulation(demo_scenario(), seed=11, speed=1.0, clock=clock)
    m = sim.market.binance["BTCUSDT"]
    before = sim.candles.candles(m, MINUTE_MS)
    for _ in range(90):  # a minute and a half of marks, one a second
        clock.advance(1.0)
        sim.step()
    after = sim.candles.candles(m, MINUTE_MS)
    assert after[: len(before) - 1] == before[:-1]  # the history is unchanged
    assert after[len(before) - 1].open == before[-1].open  # the running candle kept its opening
    assert [c.open_ms for c in after[len(before) - 1:]] == [
        before[-1].open_ms + k * MINUTE_MS for k in range(len(after) - len(before) + 1)]
    assert after[-1].close == m.mark
