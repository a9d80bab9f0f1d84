"""The optimized mark-price candles are exactly the straightforward ones: every candle field bit for bit, and
every served kline body character for character, against tests/emulator/candles_reference.py (the algorithm
before the optimization), for several seeds, speeds and start times, on every venue of the demo scenario."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from liqwatch.clock import FakeClock
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.emulator.candles import HOUR_MS, MINUTE_MS, Candle
from liqwatch.emulator.fmt import round_sig
from liqwatch.emulator.okx_auth import ok
from liqwatch.emulator.price_rounding import PriceRounding
from liqwatch.emulator.simulation import Simulation

from . import candles_reference as ref

# Mid-minute with milliseconds, exactly on an hour, exactly on a minute, and just before midnight.
STARTS = [datetime(2026, 1, 1, 7, 58, 30, 250_000, tzinfo=UTC), datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC),
          datetime(2026, 5, 17, 3, 41, 0, tzinfo=UTC), datetime(2026, 12, 31, 23, 59, 59, 999_000, tzinfo=UTC)]


def _bits(candles: list[Candle]) -> list[tuple[Any, ...]]:
    """Each candle's fields, floats as their exact bits (float.hex also tells -0.0 from 0.0)."""
    for c in candles:
        assert type(c) is Candle and type(c.open_ms) is int and type(c.count) is int
    return [(c.open_ms, c.open.hex(), c.high.hex(), c.low.hex(), c.close.hex(), c.count) for c in candles]


def _assert_same_candles(sim: Simulation, reference: ref.ReferenceCandles) -> None:
    for m in sim.market.all_markets():
        for interval_ms in (MINUTE_MS, HOUR_MS):
            expected = _bits(reference.candles(m, interval_ms))
            assert _bits(sim.candles.candles(m, interval_ms)) == expected, (m.venue, m.symbol, interval_ms)


# (STARTS[0] at speed 1 is the served answers' and the stepped-back clock's case below: the suite's CPU is short.)
@pytest.mark.parametrize(("seed", "speed", "start"), [(3, 5.0, STARTS[1]), (7, 0.25, STARTS[2]),
                                                      (1234, 60.0, STARTS[3])])
def test_history_and_live_candles_are_the_references_exactly(seed: int, speed: float, start: datetime) -> None:
    clock = FakeClock(start)
    sim = Simulation(demo_scenario(), seed=seed, speed=speed, clock=clock)
    reference = ref.ReferenceCandles(sim.market, start_ms=sim.candles.start_ms, speed=speed, seed=seed)
    _assert_same_candles(sim, reference)
    for _ in range(75):  # live marks across a minute boundary (and at speed 60 an hour of simulated time)
        clock.advance(1.0)
        sim.step()
        reference.record(sim.now_ms())
    _assert_same_candles(sim, reference)


def test_live_candles_after_the_wall_clock_stepped_back_are_the_references() -> None:
    clock = FakeClock(STARTS[0])
    sim = Simulation(demo_scenario(), seed=5, speed=1.0, clock=clock)
    reference = ref.ReferenceCandles(sim.market, start_ms=sim.candles.start_ms, speed=1.0, seed=5)
    for step in range(150):
        clock.advance(1.0)
        if step == 100:
            clock.jump_wall(-150.0)  # before the start: live candles now open out of order
        sim.step()
        reference.record(sim.now_ms())
    _assert_same_candles(sim, reference)


def test_rounding_a_list_is_rounding_each_price() -> None:
    rng = random.Random(1)
    prices = [rng.uniform(0.0001, 200_000) for _ in range(3000)]
    prices += [10.0**k * f for k in range(-6, 7) for f in (1 - 1e-15, 1.0, 1 + 1e-15, 0.99999, 0.999995)]
    prices += [-2.5, -61_234.56789]
    for significant, decimals in ((None, 8), (None, 1), (None, 0), (5, 5), (5, 1), (5, 0)):
        rounding = PriceRounding(decimals, significant)
        each = [rounding.one(p) for p in prices]
        if significant is None:
            assert each == [round(p, decimals) for p in prices]
        else:
            assert each == [round_sig(p, significant, decimals) for p in prices]
        assert [x.hex() for x in rounding.many(prices)] == [x.hex() for x in each]
        # A zero or non-finite price falls back to rounding one at a time, with the same result.
        odd = [*prices[:5], 0.0, math.inf, *prices[5:9], -math.inf]
        assert [x.hex() for x in rounding.many(odd)] == [rounding.one(p).hex() for p in odd]
        assert math.isnan(rounding.many([1.5, math.nan])[1])


def _query(**params: object) -> dict[str, str]:
    return {k: str(v) for k, v in params.items() if v is not None}


def test_every_market_rounds_as_its_venue_did() -> None:
    """The rounding each market picks once is the venue branch SimMarket took on every price before."""
    sim = Simulation(demo_scenario(), seed=2, speed=1.0, clock=FakeClock(STARTS[0]))
    rng = random.Random(2)
    for m in sim.market.all_markets():
        prices = [m.path.spec.start * rng.uniform(0.5, 2.0) for _ in range(500)] + [9.99995, 99_999.5, 0.12345678]
        expected = [ref.reference_quantize(m, sim.market, p).hex() for p in prices]
        assert [m.quantize(p).hex() for p in prices] == expected, (m.venue, m.symbol)
        assert [x.hex() for x in m.rounding.many(prices)] == expected, (m.venue, m.symbol)


_BLANK: list[web.Request] = []


def _get(path: str) -> web.Request:
    """A GET of ``path`` as aiohttp parses it: a clone of one mocked request. make_mocked_request builds a dozen
    spec'd Mocks each time (a third of this file's CPU, for ~1,000 requests); a clone shares them and parses
    its own URL, which is all the kline handlers read."""
    if not _BLANK:
        _BLANK.append(make_mocked_request("GET", "/"))
    return _BLANK[0].clone(rel_url=path)


async def _binance(emu: EmulatorServer, params: dict[str, str]) -> str:
    response = await emu.binance_rest.mark_price_klines(_get("/fapi/v1/markPriceKlines?" + urlencode(params)))
    assert isinstance(response, web.Response) and response.text is not None
    assert response.content_type == "application/json" and response.charset == "utf-8"
    return response.text


async def _okx(emu: EmulatorServer, params: dict[str, str]) -> str:
    response = await emu.okx_public.mark_candles(_get("/api/v5/market/mark-price-candles?" + urlencode(params)))
    assert response.text is not None
    return response.text


def _hyperliquid(emu: EmulatorServer, req: dict[str, Any]) -> str:
    response = emu.hl_info.candle_snapshot(req)
    assert isinstance(response, web.Response) and response.text is not None
    assert response.content_type == "application/json" and response.charset == "utf-8"
    return response.text


async def _assert_same_served(emu: EmulatorServer, reference: ref.ReferenceCandles) -> None:
    """Every venue's kline answers for a range of windows (asked twice: the second comes from the kept rows)."""
    market, now = emu.sim.market, emu.sim.now_ms()
    bm, hm = market.binance["BTCUSDT"], market.hyperliquid["SOL"]
    ym, om = market.bybit["ETHUSDT"], market.okx["BTC-USDT-SWAP"]
    hl_decimals = 6 - market.hyperliquid_specs["SOL"].sz_decimals
    bybit_decimals = market.bybit_specs["ETHUSDT"].price_decimals
    for name, interval_ms in (("1m", MINUTE_MS), ("1h", HOUR_MS)):
        opens = [c.open_ms for c in reference.candles(bm, interval_ms)]
        mid, old = opens[len(opens) // 2], opens[5]
        # The newest windows come first, so the history is still partly unmade when the later ones reach it.
        windows: list[tuple[int | None, int | None, int]] = [
            (None, None, 3), (now - 2 * HOUR_MS, None, 1500), (mid, None, 3), (None, mid, 3),
            (mid + 1, mid + 5 * interval_ms, 1000), (old, mid, 1500), (None, None, 1500), (now + HOUR_MS, None, 5),
            (None, old - 10 * 24 * HOUR_MS, 5), (None, opens[-1], 2), (opens[-1], None, 2)]
        for start, end, limit in windows:
            q = _query(limit=limit, startTime=start, endTime=end)
            expected = web.json_response(ref.binance_rows(reference.candles(bm, interval_ms), interval_ms, start,
                                                          end, limit)).text
            for _ in range(2):
                assert await _binance(emu, {"symbol": "BTCUSDT", "interval": name, **q}) == expected, q
            req = {"coin": "SOL", "interval": name, "startTime": start or 0, "endTime": end}
            expected = orjson.dumps(ref.hyperliquid_rows(reference.candles(hm, interval_ms), "SOL", name,
                                                         interval_ms, hl_decimals, start or 0, end)).decode()
            for _ in range(2):
                assert _hyperliquid(emu, req) == expected, req
            bq = _query(category="linear", symbol="ETHUSDT", interval="1" if name == "1m" else "60",
                        limit=min(limit, 1000), start=start, end=end)
            expected_list = ref.bybit_rows(reference.candles(ym, interval_ms), bybit_decimals, start, end,
                                           min(limit, 1000))
            for _ in range(2):
                answer = await emu.bybit_rest.market.mark_price_kline(
                    _get("/v5/market/mark-price-kline?" + urlencode(bq)))
                assert answer == {"category": "linear", "symbol": "ETHUSDT", "list": expected_list}, bq
            for after, before, okx_limit in ((end, start, min(limit, 100)), (start, None, 100), (None, end, -3),
                                             (None, None, 0)):
                oq = _query(instId="BTC-USDT-SWAP", bar="1m" if name == "1m" else "1H", limit=okx_limit,
                            after=after, before=before)
                expected = ok(ref.okx_rows(reference.candles(om, interval_ms), interval_ms, emu.sim.now_ms(), after,
                                           before, min(okx_limit, 100))).text
                for _ in range(2):
                    assert await _okx(emu, oq) == expected, oq


@pytest.mark.parametrize(("seed", "speed", "start", "back_s"), [(1, 1.0, STARTS[0], 0.0),
                                                                (4, 1.0, STARTS[3], -600.0)])
async def test_served_klines_are_the_references_exactly(seed: int, speed: float, start: datetime,
                                                        back_s: float) -> None:
    clock = FakeClock(start)
    emu = EmulatorServer(demo_scenario(), seed=seed, speed=speed, autorun=False, hl_idle_timeout=None, clock=clock)
    sim = emu.sim
    reference = ref.ReferenceCandles(sim.market, start_ms=sim.candles.start_ms, speed=speed, seed=seed)
    await _assert_same_served(emu, reference)  # the history alone: no live mark yet
    for step in range(130):  # two minutes and more of live marks; optionally the wall clock stepping back
        clock.advance(1.0)
        if step == 70 and back_s:
            clock.jump_wall(back_s)
        sim.step()
        reference.record(sim.now_ms())
    clock.advance(30.0)  # OKX's "confirm" of the running candle changes with the time of the request
    await _assert_same_served(emu, reference)
    assert start + timedelta(seconds=160 + back_s) == clock.now()
