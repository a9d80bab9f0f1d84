"""The emulator's mark-price candles: the optimized code against the straightforward reference
(tests/emulator/candles_reference.py, the algorithm before the optimization), timed in the same run.

1. History: for each seed a fresh demo-scenario simulation (untimed), then the 1-minute and 1-hour candles of
   all its markets built once by liqwatch.emulator.candles.MarkCandles and once by the reference (in turns,
   which one goes first alternating), as the first candle requests of an emulator build them.
2. Serving: on one emulator whose history exists, each venue's kline request as a client makes it (30 days of
   hours, 2 hours of minutes; OKX one page), answered by the handler and by the reference rows encoded the
   way the handler encodes them: the first answer (cold) and the later ones (warm).
CPU seconds (process_time). Run: python benchmarks/bench_emu_candles.py [--seeds N] [--repeats N] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the reference lives with the tests

from liqwatch.clock import FakeClock
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.emulator.candles import HOUR_MS, MINUTE_MS
from liqwatch.emulator.market import SimMarket
from liqwatch.emulator.okx_auth import ok
from liqwatch.emulator.simulation import Simulation
from tests.emulator import candles_reference as ref

START = datetime(2026, 1, 1, 7, 58, 30, tzinfo=UTC)


def cpu(work: Callable[[], object]) -> float:
    gc.collect()
    t0 = time.process_time()
    work()
    return time.process_time() - t0


async def cpu_async(work: Callable[[], Any], times: int) -> float:
    """CPU seconds per call of ``work`` (awaited when it answers with a coroutine), over ``times`` calls."""
    gc.collect()
    t0 = time.process_time()
    for _ in range(times):
        answer = work()
        if inspect.isawaitable(answer):
            await answer
    return (time.process_time() - t0) / times


def bench_history(seeds: int) -> dict[str, float]:
    """Per emulator: every market's candles built and listed in full (both intervals), and what the clients'
    first requests need (the newest 30 days of hours and 2 hours of minutes, which need the whole history
    synthesized but not every 1-minute candle made)."""
    times: dict[str, list[float]] = {"full_reference": [], "full_optimized": [], "first_reference": [],
                                     "first_optimized": []}
    for seed in range(seeds):
        for pattern in ("full", "first"):
            sim = Simulation(demo_scenario(), seed=seed, speed=1.0 + seed % 3, clock=FakeClock(START))
            reference = ref.ReferenceCandles(sim.market, start_ms=sim.candles.start_ms, speed=sim.speed, seed=seed)
            markets, now = sim.market.all_markets(), sim.now_ms()
            windows = ((HOUR_MS, now - 30 * 24 * HOUR_MS), (MINUTE_MS, now - 2 * HOUR_MS))

            def new(sim: Simulation = sim, markets: list[SimMarket] = markets, pattern: str = pattern,
                    windows: tuple[tuple[int, int], ...] = windows) -> None:
                for m in markets:
                    for interval_ms, first_ms in windows:
                        if pattern == "full":
                            sim.candles.candles(m, interval_ms)
                        else:
                            sim.candles.series(m, interval_ms).between(first_ms, None)

            def old(reference: ref.ReferenceCandles = reference, markets: list[SimMarket] = markets,
                    pattern: str = pattern, windows: tuple[tuple[int, int], ...] = windows) -> None:
                for m in markets:
                    for interval_ms, first_ms in windows:
                        candles = reference.candles(m, interval_ms)
                        if pattern == "first":
                            ref.select(candles, first_ms, None, 1500)

            runs = [(f"{pattern}_optimized", new), (f"{pattern}_reference", old)]
            for name, work in runs[::-1] if seed % 2 else runs:  # which goes first alternates
                times[name].append(cpu(work))
    ms = {name: statistics.median(values) * 1000 for name, values in times.items()}
    return {"markets": len(markets),
            **{f"history_{name}_ms_per_emulator": round(value, 1) for name, value in ms.items()},
            "history_full_speedup": round(ms["full_reference"] / ms["full_optimized"], 2),
            "history_first_requests_speedup": round(ms["first_reference"] / ms["first_optimized"], 2)}


def venue_requests(emu: EmulatorServer) -> dict[str, tuple[Callable[[], Any], Callable[[], Any]]]:
    """Per request: (the handler's answer, the reference's rows encoded as the handler encodes them)."""
    sim, now = emu.sim, emu.sim.now_ms()
    candles = ref.ReferenceCandles(sim.market, start_ms=sim.candles.start_ms, speed=sim.speed, seed=emu.seed)
    hl_decimals = 6 - sim.market.hyperliquid_specs["BTC"].sz_decimals
    bybit_decimals = sim.market.bybit_specs["BTCUSDT"].price_decimals

    def get(handler: Callable[[web.Request], Any], path: str) -> Callable[[], Any]:
        request = make_mocked_request("GET", path)  # made once: a mocked request costs more than the answer
        return lambda: handler(request)

    bm, hm = sim.market.binance["BTCUSDT"], sim.market.hyperliquid["BTC"]
    ym, om = sim.market.bybit["BTCUSDT"], sim.market.okx["BTC-USDT-SWAP"]
    out: dict[str, tuple[Callable[[], Any], Callable[[], Any]]] = {}
    for name, interval, iv_ms, limit, start in (("1h", "1h", HOUR_MS, 720, now - 30 * 24 * HOUR_MS),
                                                ("1m", "1m", MINUTE_MS, 120, now - 2 * HOUR_MS)):
        out[f"binance {name}"] = (
            get(emu.binance_rest.mark_price_klines, f"/fapi/v1/markPriceKlines?symbol=BTCUSDT&interval={interval}"
                f"&limit={limit}"),
            lambda iv_ms=iv_ms, limit=limit: web.json_response(
                ref.binance_rows(candles.candles(bm, iv_ms), iv_ms, None, None, limit)))
        req = {"coin": "BTC", "interval": interval, "startTime": start}
        out[f"hyperliquid {name}"] = (
            lambda req=req: emu.hl_info.candle_snapshot(req),
            lambda interval=interval, iv_ms=iv_ms, start=start: web.json_response(
                ref.hyperliquid_rows(candles.candles(hm, iv_ms), "BTC", interval, iv_ms, hl_decimals, start, None),
                dumps=lambda o: orjson.dumps(o).decode()))
        bybit_interval = "60" if iv_ms == HOUR_MS else "1"
        out[f"bybit {name}"] = (
            get(emu.bybit_rest.market.mark_price_kline, f"/v5/market/mark-price-kline?category=linear&symbol=BTCUSDT"
                f"&interval={bybit_interval}&limit={limit}"),
            lambda iv_ms=iv_ms, limit=limit: {"category": "linear", "symbol": "BTCUSDT", "list": ref.bybit_rows(
                candles.candles(ym, iv_ms), bybit_decimals, None, None, limit)})
        bar = "1H" if iv_ms == HOUR_MS else "1m"
        out[f"okx {name}"] = (
            get(emu.okx_public.mark_candles, f"/api/v5/market/mark-price-candles?instId=BTC-USDT-SWAP&bar={bar}"),
            lambda iv_ms=iv_ms: ok(ref.okx_rows(candles.candles(om, iv_ms), iv_ms, sim.now_ms(), None, None, 100)))
    for m in (bm, hm, ym, om):  # the history exists before the requests are timed, for both
        sim.candles.candles(m, MINUTE_MS)
        candles.candles(m, MINUTE_MS)
    return out


async def bench_serving(repeats: int) -> dict[str, Any]:
    emu = EmulatorServer(demo_scenario(), seed=1, autorun=False, hl_idle_timeout=None, clock=FakeClock(START))
    result: dict[str, Any] = {}
    for name, (new, old) in venue_requests(emu).items():
        cold_new, cold_old = await cpu_async(new, 1), await cpu_async(old, 1)
        warm_new, warm_old = await cpu_async(new, repeats), await cpu_async(old, repeats)
        result[name] = {"reference_ms": round(warm_old * 1000, 3), "optimized_ms": round(warm_new * 1000, 3),
                        "speedup": round(warm_old / warm_new, 1),
                        "cold_reference_ms": round(cold_old * 1000, 3), "cold_optimized_ms": round(cold_new * 1000, 3)}
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=6)
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    history = bench_history(args.seeds)
    serving = asyncio.run(bench_serving(args.repeats))
    if args.json:
        print(json.dumps({"history": history, "serving": serving}))
        return
    for k, v in history.items():
        print(f"{k:40s} {v}")
    print(f"{'request (warm, ms each)':22s} {'reference':>10s} {'optimized':>10s} {'speedup':>8s}"
          f" {'cold ref':>9s} {'cold opt':>9s}")
    for name, r in serving.items():
        print(f"{name:22s} {r['reference_ms']:10.3f} {r['optimized_ms']:10.3f} {r['speedup']:8.1f}"
              f" {r['cold_reference_ms']:9.3f} {r['cold_optimized_ms']:9.3f}")


if __name__ == "__main__":
    main()
