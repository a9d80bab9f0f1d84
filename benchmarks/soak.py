"""Soak: the demo's feeds through a million applied frames and a hundred reconnects; memory, fds and tasks flat.

It stands in for the catalogue's 48-72 h soak (faults.md row 21), which no test run can last: the same work is
compressed by making the emulator push a round every millisecond instead of every second.

- The emulator runs the demo scenario in a child process (``--serve-emulator``), so that what is measured is the
  monitor's process alone (its RSS, fds and asyncio tasks), as a user runs it against an exchange.
- The monitor is the demo's: the same accounts (``liqwatch.demo_environment.scenario_accounts``) and adapters
  (``liqwatch.monitor.Monitor``), with the alerts and the record (``AlertRuntime`` on a temporary database)
  fed a ``store.snapshot()`` once a second, as the App and ``check --watch`` do.
- Faults come from the emulator's own controls (``/_emulator/faults``): market, user and Hyperliquid sockets
  dropped (close frame or TCP reset) and listen keys expired, spread over the run. Reconnects are counted from
  the adapters' streams (connections opened after the first), not from what was injected.
- After the warm-up (the first 10 % of the frames), RSS (VmRSS), open fds and the asyncio task count are sampled
  at every 5 % of the frames, each time with every channel LIVE again and after a ``gc.collect()``: what is
  compared is what the monitor keeps, not garbage not yet collected or a reconnect in progress.

Run (from the repository root): python -m benchmarks.soak [--frames N] [--reconnects N] [--quick] [--json]
Pass: RSS grows at most 2 % from the end of the warm-up to the end; fds and tasks flat (the later half of the
samples has no higher maximum than the earlier half).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import sys
import tempfile
import time
import weakref
from collections.abc import AsyncIterator
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import aiohttp

from benchmarks.soak_report import Report, Sample, table
from liqwatch.alert_runtime import AlertRuntime
from liqwatch.config import Settings
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.demo_environment import DEMO_SEED, scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.stream import StreamRunner
from liqwatch.monitor import Monitor

WARMUP_FRACTION = 0.10
SAMPLE_EVERY_FRACTION = 0.05
ROOT = str(Path(__file__).resolve().parent.parent)
RECOVERY_LIMIT_S = 90.0  # one fault's reconnect and resync; the backoff is capped at 30 s


def soak_options(timers: bool) -> FeedOptions:
    """The demo's feed options with the soak's time compressed. A fault comes every few seconds here, not every
    few minutes: with the backoff's 30 s "healthy" age it would look like a flapping link and each recovery would
    wait up to the 30 s cap. ``timers``: also the 30-min listen-key keepalive every 10 s and the 23.5 h
    connection renewal after 20 s, so that they run many times too."""
    opts = FeedOptions(healthy_after_s=1.0)
    return replace(opts, listen_key_keepalive_s=10.0, max_connection_age_s=20.0) if timers else opts


# --- the emulator, in its own process --------------------------------------------------------------------
async def serve_emulator(push_interval: float, speed: float) -> None:
    """Child mode: the demo's emulator, pushing every ``push_interval`` s, until the parent closes stdin."""
    async with EmulatorServer(demo_scenario(), seed=DEMO_SEED, speed=speed, port=0, autorun=True,
                              publish_interval=push_interval) as emu:
        sys.stdout.write(json.dumps({"port": emu.port}) + "\n")
        sys.stdout.flush()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, sys.stdin.read)  # EOF: the parent is done (or gone)


@contextlib.asynccontextmanager
async def emulator_process(push_interval: float, speed: float) -> AsyncIterator[tuple[int, int]]:
    """(port, pid) of an emulator child; stopped on exit, killed if it does not stop within 10 s."""
    # The child imports this tree's benchmarks and liqwatch, installed or not.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "benchmarks.soak", "--serve-emulator", "--push-interval", str(push_interval),
        "--speed", str(speed),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, env=env,
    )
    try:
        assert proc.stdout is not None
        async with asyncio.timeout(30):
            line = await proc.stdout.readline()
        if not line:
            raise RuntimeError("the emulator process exited before it listened")
        yield int(json.loads(line)["port"]), proc.pid
    finally:
        if proc.stdin is not None:
            proc.stdin.close()
        try:
            async with asyncio.timeout(10):
                await proc.wait()
        except TimeoutError:
            proc.kill()
            await proc.wait()


# --- what is counted ---------------------------------------------------------------------------------------
class Counters:
    """Frames applied and reconnects, read off the monitor itself (channels and streams)."""

    def __init__(self, monitor: Monitor) -> None:
        self.monitor = monitor
        self.reconnects = 0  # connections opened by a stream after its first
        self.reconnecting_transitions = 0  # channels seen entering RECONNECTING
        # Weak: a stream an adapter replaced must not be kept alive by the benchmark that watches for leaks.
        self._connects: weakref.WeakKeyDictionary[StreamRunner, int] = weakref.WeakKeyDictionary()
        self._changes: dict[int, int] = {}

    def channels(self) -> list[Any]:
        store = self.monitor.store
        return [ch for name in store.account_names() for ch in store.channels(name)]

    def frames(self) -> int:
        """Frames whose content the store applied (each channel's data count)."""
        return sum(ch.frames for ch in self.channels())

    def poll(self) -> None:
        for adapter in self.monitor.adapters:
            for s in adapter.streams:
                before = self._connects.get(s)
                if before is None:
                    self.reconnects += max(0, s.connects - 1)
                else:
                    self.reconnects += s.connects - before
                self._connects[s] = s.connects
        for ch in self.channels():
            last = self._changes.get(id(ch), 0)
            self.reconnecting_transitions += sum(1 for st in ch.states_since(last) if st is ChannelState.RECONNECTING)
            self._changes[id(ch)] = ch.changes

    def malformed(self) -> int:
        return sum(a.malformed for a in self.monitor.adapters)

    def adapter_sum(self, attribute: str) -> int:
        """A counter only some adapters have (Binance's listen-key keepalives and rotations)."""
        return sum(int(getattr(a, attribute, 0)) for a in self.monitor.adapters)


def rss_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


# --- faults --------------------------------------------------------------------------------------------------
def fault_cycle(binance_accounts: list[str]) -> list[tuple[str, dict[str, Any]]]:
    """Each kind of reconnect the issue names, in turn: market, user and Hyperliquid sockets dropped, listen
    keys expired (one account at a time), and every socket reset without a close frame."""
    cycle: list[tuple[str, dict[str, Any]]] = [
        ("drop", {"target": "binance-market"}),
        ("drop", {"target": "binance-user"}),
        ("drop", {"target": "hyperliquid"}),
    ]
    cycle += [("expire_listen_key", {"account": name}) for name in binance_accounts]
    cycle.append(("drop", {"target": "all", "reset": True}))
    return cycle


async def inject(session: aiohttp.ClientSession, base: str, name: str, args: dict[str, Any]) -> int:
    async with session.post(f"{base}/_emulator/faults/{name}", json=args) as resp:
        body = await resp.json()
        if resp.status != 200:
            raise RuntimeError(f"fault {name} {args}: HTTP {resp.status}: {body}")
        return int(body.get("affected") or 0)


# --- the run --------------------------------------------------------------------------------------------------
async def alert_loop(monitor: Monitor, alerting: AlertRuntime, report: Report) -> None:
    """What the App's refresh timer does: a snapshot, evaluated and recorded, once a second."""
    while True:
        events = await alerting.on_snapshot(monitor.store.snapshot())
        report.alert_evaluations += 1
        report.alert_events += len(events)
        await asyncio.sleep(1.0)


async def settle(monitor: Monitor, counters: Counters, limit_s: float) -> bool:
    """Until every channel is LIVE (a fault recovered from); False after ``limit_s``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while loop.time() < deadline:
        counters.poll()
        if monitor.all_live():
            return True
        await asyncio.sleep(0.05)
    return False


async def take_sample(monitor: Monitor, counters: Counters, started: float) -> Sample:
    await settle(monitor, counters, RECOVERY_LIMIT_S)
    gc.collect()
    return Sample(counters.frames(), round(time.perf_counter() - started, 1), rss_kb(), open_fds(),
                  len(asyncio.all_tasks()))


async def soak(frames: int, reconnects: int, push_interval: float = 0.001, speed: float = 1.0,
               timeout_s: float = 3600.0, progress: bool = False, timers: bool = False) -> Report:
    report = Report(frames, reconnects, push_interval, load_avg_start=os.getloadavg(), timers_compressed=timers)
    settings = Settings()
    scenario = demo_scenario()
    with tempfile.TemporaryDirectory(prefix="liqwatch-soak-") as tmp:
        async with emulator_process(push_interval, speed) as (port, emu_pid), aiohttp.ClientSession() as control:
            base = f"http://127.0.0.1:{port}"
            accounts = scenario_accounts(scenario, base, f"ws://127.0.0.1:{port}")
            thresholds = ThresholdMap.from_settings(settings)
            async with Monitor(accounts, options=soak_options(timers), thresholds=thresholds) as monitor, AlertRuntime(
                settings, demo=True, terminal=None, db_path=Path(tmp) / "soak.sqlite3"
            ) as alerting:
                await alerting.watch_store(monitor.store)
                counters = Counters(monitor)
                if not await settle(monitor, counters, 60.0):
                    report.failures.append("the demo's feeds did not all go LIVE within 60 s")
                    report.judge()
                    return report
                alerts = asyncio.create_task(alert_loop(monitor, alerting, report), name="soak:alerts")
                try:
                    await _drive(monitor, counters, control, base, [a.name for a in scenario.binance.accounts],
                                 report, timeout_s, progress)
                finally:
                    alerts.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await alerts
                report.emulator_rss_kb_end = rss_kb(emu_pid)
    report.load_avg_end = os.getloadavg()
    report.judge()
    return report


async def _drive(monitor: Monitor, counters: Counters, control: aiohttp.ClientSession, base: str,
                 binance_accounts: list[str], report: Report, timeout_s: float, progress: bool) -> None:
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    cpu0 = time.process_time()
    deadline = loop.time() + timeout_s
    counters.poll()
    first = counters.frames()  # frames of the start-up are not the soak's
    base_reconnects = counters.reconnects
    warmup_at = first + int(report.frames_target * WARMUP_FRACTION)
    step = max(1, int(report.frames_target * SAMPLE_EVERY_FRACTION))
    next_sample = warmup_at
    cycle = fault_cycle(binance_accounts)
    injected = 0
    next_fault = first
    while True:
        counters.poll()
        applied = counters.frames() - first
        seen = counters.reconnects - base_reconnects
        done = applied >= report.frames_target and seen >= report.reconnects_target
        if done or applied + first >= next_sample:
            report.samples.append(await take_sample(monitor, counters, started))
            while next_sample <= counters.frames():  # one sample per point, however long a recovery took
                next_sample += step
            if progress:
                s = report.samples[-1]
                print(f"  {s.frames - first:>9} frames  {seen:>4} reconnects  rss {s.rss_kb} kB  fds {s.fds}"
                      f"  tasks {s.tasks}  {s.elapsed_s:>6} s", file=sys.stderr, flush=True)
        if done:
            if len(report.samples) < 2:
                # The warm-up point was reached only as the run ended (a fast emulator, slow recoveries): the
                # end is sampled too, so a run always has its warm-up and end figures.
                report.samples.append(await take_sample(monitor, counters, started))
            break
        if loop.time() > deadline:
            report.failures.append(f"stopped at the {timeout_s:g} s time limit")
            break
        if seen < report.reconnects_target and applied + first >= next_fault:
            name, args = cycle[injected % len(cycle)]
            before = counters.reconnects
            report.sockets_affected += await inject(control, base, name, args)
            injected += 1
            label = name if name != "drop" else f"drop {args['target']}{' (reset)' if args.get('reset') else ''}"
            report.faults_injected[label] = report.faults_injected.get(label, 0) + 1
            if not await _recovered(monitor, counters, before):
                report.recovery_timeouts += 1
            # Faults at fixed points of the frame count, spread to end by 80 % of it: a recovery that takes
            # long brings the next fault forward rather than pushing the whole plan back.
            seen = counters.reconnects - base_reconnects
            planned = injected + math.ceil(max(0, report.reconnects_target - seen) / max(1.0, seen / injected))
            next_fault = first + injected * int(report.frames_target * 0.8) // max(1, planned)
        await asyncio.sleep(0.1)
    report.elapsed_s = round(time.perf_counter() - started, 1)
    cpu = time.process_time() - cpu0
    counters.poll()
    report.frames_applied = counters.frames() - first
    report.cpu_us_per_frame = round(cpu / max(1, report.frames_applied) * 1e6, 1)
    report.reconnects_observed = counters.reconnects - base_reconnects
    report.channel_reconnecting_transitions = counters.reconnecting_transitions
    report.malformed_frames = counters.malformed()
    report.listen_key_keepalives = counters.adapter_sum("keepalives")
    report.listen_key_rotations = counters.adapter_sum("listen_key_rotations")


async def _recovered(monitor: Monitor, counters: Counters, before: int) -> bool:
    """A fault is over when a stream has reconnected and every channel is LIVE again."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + RECOVERY_LIMIT_S
    while loop.time() < deadline:
        counters.poll()
        if counters.reconnects > before and monitor.all_live():
            return True
        await asyncio.sleep(0.05)
    return False


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--frames", type=int, default=1_000_000, help="applied frames to reach (default 1000000)")
    ap.add_argument("--reconnects", type=int, default=100, help="reconnects to observe (default 100)")
    ap.add_argument("--quick", action="store_true", help="a small run: 20000 frames, 5 reconnects")
    ap.add_argument("--push-interval", type=float, default=0.001, help="emulator push round, s (default 0.001)")
    ap.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second (default 1)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="give up after this many seconds (default 3600)")
    ap.add_argument("--timers", action="store_true",
                    help="also run the listen-key keepalive every 10 s and the 24 h renewal after 20 s")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    ap.add_argument("--serve-emulator", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if not (a.push_interval > 0 and a.speed > 0 and a.timeout > 0):
        ap.error("--push-interval, --speed and --timeout must be > 0")
    if a.serve_emulator:
        asyncio.run(serve_emulator(a.push_interval, a.speed))
        return 0
    frames, reconnects = (20_000, 5) if a.quick else (a.frames, a.reconnects)
    if frames < 1 or reconnects < 0:
        ap.error("--frames must be >= 1 and --reconnects >= 0")
    report = asyncio.run(soak(frames, reconnects, a.push_interval, a.speed, a.timeout, progress=not a.json,
                               timers=a.timers))
    print(json.dumps(asdict(report), indent=1) if a.json else table(report))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
