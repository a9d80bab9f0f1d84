"""Feed throughput: frames/s through the Binance adapter and the engine, against a bare aiohttp+orjson reader
of the same stream, in the same run.

1. Record real markPrice frames from the embedded emulator (the demo scenario) over its websocket.
2. A replay server on 127.0.0.1 sends those frames back-to-back, N times, to one client at a time:
   - bare: aiohttp ``ws.receive()`` + ``orjson.loads`` and nothing else (the floor);
   - liqwatch: our StreamRunner -> BinanceAdapter frame handler -> MonitorStore.apply (marks, account
     sums, freshness), with the adapter bootstrapped against the emulator so the positions are real;
   - ccxt.pro: stock ``binanceusdm.watch_mark_prices`` (markets loaded from the emulator, every URL rewritten to
     127.0.0.1), counting the frames its own mark-price handler took.
The three run one after the other in the same process on the same replay; the table gives the ratios.
Goals (issue 15): liqwatch >= 0.6x the bare reader's throughput and >= 2x ccxt.pro's.
Run: python benchmarks/bench_feeds.py [--frames N] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import aiohttp
import orjson
from aiohttp import web

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.feeds.ccxt_instance import rewrite_urls
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.stream import StreamRunner
from liqwatch.monitor import Monitor


async def record_frames(emu: EmulatorServer, count: int) -> list[str]:
    url = f"{emu.ws_url}/market/stream?streams=btcusdt@markPrice@1s/ethusdt@markPrice@1s/solusdt@markPrice@1s"
    frames: list[str] = []
    async with aiohttp.ClientSession() as s, s.ws_connect(url) as ws:
        async with asyncio.timeout(60):
            while len(frames) < count:
                msg = await ws.receive()
                if msg.type is aiohttp.WSMsgType.TEXT and '"markPriceUpdate"' in msg.data:
                    frames.append(msg.data)
    return frames


async def replay_server(frames: list[str], total: int) -> tuple[web.AppRunner, int]:
    # Frames are re-stamped with the time they are sent (never decreasing, so the store accepts every one), a
    # second ahead so that they win over the emulator's own frames, and within the clock check's 5 s tolerance
    # (stamping t0 + i ms, as before, ran minutes ahead of the clock over 100k frames: all refused as implausible).
    base = [orjson.loads(f) for f in frames]

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        for i in range(total):
            doc = base[i % len(base)]
            doc["data"]["E"] = int(time.time() * 1000) + 1000
            await ws.send_str(orjson.dumps(doc).decode())
        await ws.close()
        return ws

    app = web.Application()
    app.router.add_get("/{tail:.*}", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, port


async def bare_reader(port: int, total: int) -> tuple[float, float]:
    n = 0
    c0, t0 = time.process_time(), time.perf_counter()
    async with aiohttp.ClientSession() as s, s.ws_connect(f"ws://127.0.0.1:{port}/x") as ws:
        async for msg in ws:
            if msg.type is aiohttp.WSMsgType.TEXT:
                orjson.loads(msg.data)
                n += 1
    assert n == total, n
    return time.perf_counter() - t0, time.process_time() - c0


async def liqwatch_reader(port: int, total: int, emu: EmulatorServer) -> tuple[float, float, int]:
    accounts = [a for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url) if a.name == "binance-main"]
    opts = FeedOptions(market_max_age_s=3600, reconcile_interval_s=3600)
    async with Monitor(accounts, options=opts) as monitor:
        assert await monitor.wait_live(20)
        adapter = monitor.adapters[0]
        applied = 0
        done = asyncio.Event()
        # The market socket's own frame handler, as the adapter built it (guard, prelude, routes, judgement).
        handler = adapter.runner("market")._on_frame  # type: ignore[union-attr]

        def on_frame(raw: str, mono: float, recv: object) -> None:
            nonlocal applied
            handler(raw, mono, recv)
            applied += 1
            if applied == total:
                done.set()

        async def url() -> str:
            return f"ws://127.0.0.1:{port}/market/stream"

        async def on_open(ws: object) -> None:
            return None

        runner = StreamRunner("bench", monitor._session, url, on_open, on_frame,  # type: ignore[arg-type]
                              lambda reason: None, monitor.clock, opts)
        version = monitor.store.version
        c0, t0 = time.process_time(), time.perf_counter()
        task = asyncio.create_task(runner.run())
        await asyncio.wait_for(done.wait(), 300)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        task.cancel()
        return wall, cpu, monitor.store.version - version


async def ccxt_reader(port: int, total: int, emu: EmulatorServer) -> tuple[float, float]:
    """Stock ccxt.pro: its own client, parser and ticker cache; the frames counted where ccxt handles them
    (a watch resolves once per wake-up, however many frames arrived, so counting the watch calls would not do)."""
    import ccxt.pro as ccxtpro

    ex: Any = ccxtpro.binanceusdm({"enableRateLimit": False, "options": {"fetchCurrencies": False,
                                                                        "ws": {"compress": 0}}})
    ex.urls["api"] = rewrite_urls(ex.urls["api"], emu.rest_url, f"ws://127.0.0.1:{port}")
    try:
        await ex.load_markets()
        symbols = ["BTC/USDT:USDT", "ETH/USDT:USDT", "SOL/USDT:USDT"]
        handled = 0
        done = asyncio.Event()
        stock = ex.handle_mark_prices

        def counting(client: Any, message: Any) -> None:
            nonlocal handled
            stock(client, message)
            handled += 1
            if handled == total:
                done.set()

        ex.handle_mark_prices = counting  # handle_message looks the handler up on the instance per message

        async def watch() -> None:
            while True:
                await ex.watch_mark_prices(symbols)

        c0, t0 = time.process_time(), time.perf_counter()
        task = asyncio.create_task(watch())
        await asyncio.wait_for(done.wait(), 300)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return wall, cpu
    finally:
        await ex.close()


async def main(total: int) -> dict[str, float]:
    async with EmulatorServer(demo_scenario(), seed=3, autorun=True, publish_interval=0.01, speed=1.0) as emu:
        frames = await record_frames(emu, 300)
        runner, port = await replay_server(frames, total)
        try:
            bare_wall, bare_cpu = await bare_reader(port, total)
            lw_wall, lw_cpu, applied = await liqwatch_reader(port, total, emu)
            cc_wall, cc_cpu = await ccxt_reader(port, total, emu)
        finally:
            await runner.cleanup()
    return {
        "frames": total,
        "bare_frames_per_s": round(total / bare_wall),
        "liqwatch_frames_per_s": round(total / lw_wall),
        "bare_cpu_us_per_frame": round(bare_cpu / total * 1e6, 1),
        "liqwatch_cpu_us_per_frame": round(lw_cpu / total * 1e6, 1),
        "ccxt_frames_per_s": round(total / cc_wall),
        "ccxt_cpu_us_per_frame": round(cc_cpu / total * 1e6, 1),
        "liqwatch_vs_bare_throughput": round(bare_wall / lw_wall, 2),
        "liqwatch_vs_ccxt_throughput": round(cc_wall / lw_wall, 2),
        "store_updates": applied,
    }


GOALS = {"liqwatch_vs_bare_throughput": 0.6, "liqwatch_vs_ccxt_throughput": 2.0}  # at least
QUICK_FRAMES = 20_000


def run(quick: bool) -> dict[str, float]:
    """The figures (``--json``'s), for benchmarks/run_all.py; ``quick``: 20k frames instead of 100k."""
    return asyncio.run(main(QUICK_FRAMES if quick else 100_000))


def _met(key: str, r: dict[str, float]) -> str:
    return f"(goal >= {GOALS[key]:g}: {'met' if r[key] >= GOALS[key] else 'NOT met'})"


def table(r: dict[str, float]) -> str:
    rows = [("bare aiohttp + orjson (the floor)", "bare"), ("liqwatch adapter + store", "liqwatch"),
            ("stock ccxt.pro watch_mark_prices", "ccxt")]
    out = [f"{r['frames']:.0f} frames, one run", f"{'reader':<36}{'frames/s':>10}{'CPU µs/frame':>14}"]
    out += [f"{label:<36}{r[k + '_frames_per_s']:>10.0f}{r[k + '_cpu_us_per_frame']:>14.1f}" for label, k in rows]
    out.append(f"liqwatch/bare {r['liqwatch_vs_bare_throughput']:.2f}x {_met('liqwatch_vs_bare_throughput', r)}   "
               f"liqwatch/ccxt {r['liqwatch_vs_ccxt_throughput']:.2f}x {_met('liqwatch_vs_ccxt_throughput', r)}   "
               f"store updates {r['store_updates']:.0f}")
    return "\n".join(out)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, help="frames replayed to each reader (default 100k; --quick: 20k)")
    ap.add_argument("--quick", action="store_true", help=f"a shorter run: {QUICK_FRAMES} frames")
    ap.add_argument("--json", action="store_true", help="the figures as JSON instead of the table")
    a = ap.parse_args()
    result = asyncio.run(main(a.frames or (QUICK_FRAMES if a.quick else 100_000)))
    print(json.dumps(result, indent=1) if a.json else table(result))
