"""Soak: the demo's feeds through a million applied frames and a hundred reconnects; memory, fds and tasks flat.

It stands in for the catalogue's 48-72 h soak (faults.md row 21), which no test run can last: the same work is
compressed by making the emulator push a round every few milliseconds instead of every second.

- The emulator runs the demo scenario in a child process (``--serve-emulator``), so that what is measured is the
  monitor's process alone (its RSS, fds and asyncio tasks), as a user runs it against an exchange.
- The monitor is the demo's: the same accounts (``liqwatch.demo.scenario_accounts``) and adapters
  (``liqwatch.runtime.Monitor``), with the alerts and the record (``AlertRuntime`` on a temporary database)
  fed a ``store.snapshot()`` once a second, as the App and ``check --watch`` do.
- Faults come from the emulator's own controls (``/_emulator/faults``): market, user and Hyperliquid sockets
  dropped (close frame or TCP reset) and listen keys expired, spread over the run. Reconnects are counted from
  the adapters' streams (connections opened after the first), not from what was injected.
- After the warm-up (the first 10 % of the frames), RSS (VmRSS), open fds and the asyncio task count are sampled
  at every 5 % of the frames, each time with every channel LIVE again and after a ``gc.collect()``: what is
  compared is what the monitor keeps, not garbage not yet collected or a reconnect in progress.

Run: python benchmarks/soak.py [--frames N] [--reconnects N] [--quick] [--json]
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from liqwatch.alerts.runtime import AlertRuntime
from liqwatch.alerts.thresholds import ThresholdMap
from liqwatch.config import Settings
from liqwatch.demo import DEMO_SEED, scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.feeds.channel import ChannelState
from liqwatch.feeds.stream import StreamRunner
from liqwatch.runtime import Monitor

RSS_GROWTH_LIMIT_PCT = 2.0
WARMUP_FRACTION = 0.10
SAMPLE_EVERY_FRACTION = 0.05
ROOT = str(Path(__file__).resolve().parent.parent)
RECOVERY_LIMIT_S = 90.0  # one fault's reconnect and resync; the backoff is capped at 30 s


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
    # The child imports liqwatch from the same tree as this file, installed or not.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--serve-emulator", "--push-interval", str(push_interval), "--speed", str(speed),
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


@dataclass
class Sample:
    frames: int
    elapsed_s: float
    rss_kb: int
    fds: int
    tasks: int


def rss_kb(pid: int | str = "self") -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@dataclass
class Report:
    frames_target: int
    reconnects_target: int
    push_interval_s: float
    frames_applied: int = 0
    reconnects_observed: int = 0
    channel_reconnecting_transitions: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    sockets_affected: int = 0
    recovery_timeouts: int = 0
    malformed_frames: int = 0
    alert_evaluations: int = 0
    alert_events: int = 0
    elapsed_s: float = 0.0
    frames_per_s: float = 0.0
    cpu_us_per_frame: float = 0.0  # the monitor's process, alerts and record included
    rss_kb_warmup: int = 0
    rss_kb_end: int = 0
    rss_growth_pct: float = 0.0
    emulator_rss_kb_end: int = 0
    samples: list[Sample] = field(default_factory=list)
    fds_flat: bool = False
    tasks_flat: bool = False
    load_avg_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_avg_end: tuple[float, float, float] = (0.0, 0.0, 0.0)
    failures: list[str] = field(default_factory=list)
    passed: bool = False

    def judge(self) -> None:
        if self.samples:
            self.rss_kb_warmup, self.rss_kb_end = self.samples[0].rss_kb, self.samples[-1].rss_kb
            self.rss_growth_pct = round(100.0 * (self.rss_kb_end - self.rss_kb_warmup) / self.rss_kb_warmup, 2)
            self.fds_flat = flat([s.fds for s in self.samples])
            self.tasks_flat = flat([s.tasks for s in self.samples])
        if self.elapsed_s > 0:
            self.frames_per_s = round(self.frames_applied / self.elapsed_s)
        checks = [
            (self.frames_applied >= self.frames_target, f"frames applied {self.frames_applied} < {self.frames_target}"),
            (self.reconnects_observed >= self.reconnects_target,
             f"reconnects observed {self.reconnects_observed} < {self.reconnects_target}"),
            (len(self.samples) >= 2, "fewer than two samples after the warm-up"),
            (self.rss_growth_pct <= RSS_GROWTH_LIMIT_PCT,
             f"RSS grew {self.rss_growth_pct} % after the warm-up (limit {RSS_GROWTH_LIMIT_PCT} %)"),
            (self.fds_flat, "open fds grew after the warm-up"),
            (self.tasks_flat, "asyncio tasks grew after the warm-up"),
            (self.recovery_timeouts == 0, f"{self.recovery_timeouts} fault(s) not recovered from in time"),
        ]
        self.failures += [why for ok, why in checks if not ok]
        self.passed = not self.failures


def flat(values: list[int]) -> bool:
    """No higher maximum in the later half of the samples than in the earlier half (the warm-up end's included)."""
    if len(values) < 2:
        return False
    half = (len(values) + 1) // 2
    return max(values[half:]) <= max(values[:half])


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
               timeout_s: float = 3600.0, progress: bool = False) -> Report:
    report = Report(frames, reconnects, push_interval, load_avg_start=os.getloadavg())
    settings = Settings()
    scenario = demo_scenario()
    with tempfile.TemporaryDirectory(prefix="liqwatch-soak-") as tmp:
        async with emulator_process(push_interval, speed) as (port, emu_pid), aiohttp.ClientSession() as control:
            base = f"http://127.0.0.1:{port}"
            accounts = scenario_accounts(scenario, base, f"ws://127.0.0.1:{port}")
            thresholds = ThresholdMap.from_settings(settings)
            async with Monitor(accounts, thresholds=thresholds) as monitor, AlertRuntime(
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
            next_sample += step
            if progress:
                s = report.samples[-1]
                print(f"  {s.frames - first:>9} frames  {seen:>4} reconnects  rss {s.rss_kb} kB  fds {s.fds}"
                      f"  tasks {s.tasks}  {s.elapsed_s:>6} s", file=sys.stderr, flush=True)
        if done:
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
            # Spread what is still needed over the frames still to come (by the reconnects a fault has caused).
            seen = counters.reconnects - base_reconnects
            per_fault = max(1.0, seen / injected)
            faults_left = math.ceil(max(0, report.reconnects_target - seen) / per_fault)
            frames_left = max(0, int(report.frames_target * 0.9) - (counters.frames() - first))
            next_fault = counters.frames() + (frames_left // faults_left if faults_left else 0)
        await asyncio.sleep(0.1)
    report.elapsed_s = round(time.perf_counter() - started, 1)
    cpu = time.process_time() - cpu0
    counters.poll()
    report.frames_applied = counters.frames() - first
    report.cpu_us_per_frame = round(cpu / max(1, report.frames_applied) * 1e6, 1)
    report.reconnects_observed = counters.reconnects - base_reconnects
    report.channel_reconnecting_transitions = counters.reconnecting_transitions
    report.malformed_frames = counters.malformed()


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


# --- output -----------------------------------------------------------------------------------------------------
def table(r: Report) -> str:
    first_frames = r.samples[0].frames if r.samples else 0
    lines = [
        f"soak: {r.frames_applied:,} frames applied (target {r.frames_target:,}) in {r.elapsed_s:g} s = "
        f"{r.frames_per_s:,.0f} frames/s, {r.cpu_us_per_frame:g} µs CPU/frame; emulator push every "
        f"{r.push_interval_s * 1000:g} ms",
        f"reconnects observed {r.reconnects_observed} (target {r.reconnects_target}); channels entering "
        f"RECONNECTING {r.channel_reconnecting_transitions}; sockets hit by faults {r.sockets_affected}",
        "faults: " + ", ".join(f"{k} x{v}" for k, v in r.faults_injected.items()),
        f"alerts evaluated {r.alert_evaluations} times, {r.alert_events} events; malformed frames "
        f"{r.malformed_frames}; load average {r.load_avg_start[0]:.1f} -> {r.load_avg_end[0]:.1f}",
        "",
        f"{'sample':>6} {'frames':>10} {'time s':>8} {'RSS kB':>9} {'fds':>5} {'tasks':>6}",
    ]
    for i, s in enumerate(r.samples):
        label = "warmup" if i == 0 else str(i)
        lines.append(f"{label:>6} {s.frames - first_frames:>10,} {s.elapsed_s:>8} {s.rss_kb:>9,} {s.fds:>5} "
                     f"{s.tasks:>6}")
    lines += [
        "",
        f"RSS {r.rss_kb_warmup:,} kB at warm-up end -> {r.rss_kb_end:,} kB at the end: {r.rss_growth_pct:+.2f} % "
        f"(limit {RSS_GROWTH_LIMIT_PCT:g} %); fds {'flat' if r.fds_flat else 'GREW'}; tasks "
        f"{'flat' if r.tasks_flat else 'GREW'}; emulator process RSS {r.emulator_rss_kb_end:,} kB",
        "PASS" if r.passed else "FAIL: " + "; ".join(r.failures),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    ap.add_argument("--frames", type=int, default=1_000_000, help="applied frames to reach (default 1000000)")
    ap.add_argument("--reconnects", type=int, default=100, help="reconnects to observe (default 100)")
    ap.add_argument("--quick", action="store_true", help="a small run: 20000 frames, 5 reconnects")
    ap.add_argument("--push-interval", type=float, default=0.001, help="emulator push round, s (default 0.001)")
    ap.add_argument("--speed", type=float, default=1.0, help="simulated seconds per second (default 1)")
    ap.add_argument("--timeout", type=float, default=3600.0, help="give up after this many seconds (default 3600)")
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
    report = asyncio.run(soak(frames, reconnects, a.push_interval, a.speed, a.timeout, progress=not a.json))
    print(json.dumps(asdict(report), indent=1) if a.json else table(report))
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
