"""Feed throughput: frames/s through the Binance adapter and the engine, against a bare aiohttp+orjson reader
of the same stream, in the same run.

1. Record real markPrice frames from the embedded emulator (the demo scenario) over its websocket.
2. A replay server on 127.0.0.1 sends those frames back-to-back, N times, to one client at a time:
   - bare: aiohttp ``ws.receive()`` + ``orjson.loads`` and nothing else (the floor);
   - liqwatch: our StreamRunner -> BinanceAdapter frame handler -> MonitorStore.apply (marks, account
     sums, freshness), with the adapter bootstrapped against the emulator so the positions are real.
Run: python benchmarks/bench_feeds.py [--frames N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time

import aiohttp
import orjson
from aiohttp import web

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
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
    # Frames are re-stamped with increasing event times so that the store accepts every one of them.
    base = [orjson.loads(f) for f in frames]

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        t0 = int(time.time() * 1000)
        for i in range(total):
            doc = base[i % len(base)]
            doc["data"]["E"] = t0 + i
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
        handler = adapter._on_market_frame  # type: ignore[attr-defined]

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


async def main(total: int) -> dict[str, float]:
    async with EmulatorServer(demo_scenario(), seed=3, autorun=True, publish_interval=0.01, speed=1.0) as emu:
        frames = await record_frames(emu, 300)
        runner, port = await replay_server(frames, total)
        try:
            bare_wall, bare_cpu = await bare_reader(port, total)
            lw_wall, lw_cpu, applied = await liqwatch_reader(port, total, emu)
        finally:
            await runner.cleanup()
    return {
        "frames": total,
        "bare_frames_per_s": round(total / bare_wall),
        "liqwatch_frames_per_s": round(total / lw_wall),
        "bare_cpu_us_per_frame": round(bare_cpu / total * 1e6, 1),
        "liqwatch_cpu_us_per_frame": round(lw_cpu / total * 1e6, 1),
        "liqwatch_vs_bare_throughput": round((total / lw_wall) / (total / bare_wall), 2),
        "store_updates": applied,
    }


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=100_000)
    a = ap.parse_args()
    print(json.dumps(asyncio.run(main(a.frames)), indent=1))
