"""UI cost: the App watching 200 positions in 10 accounts, every mark updating once a second, against a naive
full-table refresh (a DataTable cleared and re-filled on every tick) in the same run.

Each phase runs headless at 160×50 for ``--seconds`` (default 60) after a short warm-up, with the same
feeder: a task on the App's loop applying 200 mark ticks a second (10 every 50 ms) to a MonitorStore.
Reported per phase: CPU of this process in % of one core, and the frames painted. A "feeds only" phase
measures the feeder alone, so the UI's own share can be read off. Headless Textual skips turning frames
into terminal output, so every frame is also encoded here as a real terminal driver would.

Run: python benchmarks/bench_ui.py [--seconds N] [--hz 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from liqwatch.clock import SystemClock
from liqwatch.config.settings import UiSettings
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, MarkTick, Position, Side, Stamp
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable
from tui.alerts_adapter import EngineAlerts
from tui.app import make_app
from tui.backend import Backend
from widgets.position_rows import COLUMNS, position_entries

SIZE = (160, 50)
WARMUP_S = 3.0
TIERS = TierTable.build([(0, 50_000, 0.004, 0.0), (50_000, 600_000, 0.005, None), (600_000, math.inf, 0.01, None)])


@dataclass
class Book:
    store: MonitorStore
    channels: dict[str, Channel]
    symbols: list[tuple[str, str]]  # (account, symbol)
    marks: dict[str, float]


def build_store(accounts: int, per_account: int, seed: int = 3) -> Book:
    rng = random.Random(seed)
    clock = SystemClock()
    store = MonitorStore(clock)
    channels: dict[str, Channel] = {}
    symbols: list[tuple[str, str]] = []
    marks: dict[str, float] = {}
    mono = clock.monotonic()
    for a in range(accounts):
        name = f"acct-{a:02d}"
        spec = AccountSpec(name, Exchange.BINANCE)
        store.add_account(spec, risk_rules(Exchange.BINANCE))
        ch = Channel(name, "mark", ChannelKind.MARKET, 5.0)
        store.add_channel(ch)
        ch.subscribed(mono)
        positions = []
        for p in range(per_account):
            symbol = f"C{a:02d}{p:02d}/USDT:USDT"  # one symbol per position: every tick moves one row
            price = rng.uniform(1, 1000)
            marks[symbol] = price
            side = Side.LONG if rng.random() < 0.6 else Side.SHORT
            positions.append(Position(symbol, side, 2_000 / price, price * rng.uniform(0.95, 1.05),
                                      MarginMode.CROSS, TIERS, leverage=10))
            symbols.append((name, symbol))
        store.apply(AccountState(spec, 8_000.0, tuple(positions)))
        ch.synced(mono)
        channels[name] = ch
    return Book(store, channels, symbols, marks)


async def feed(book: Book, stop: asyncio.Event, seed: int = 5) -> None:
    """Every mark once a second, spread evenly: 10 ticks every 50 ms."""
    rng = random.Random(seed)
    batch, period = 10, 0.05
    i = 0
    clock = book.store.clock
    while not stop.is_set():
        now = datetime.now(UTC)
        for _ in range(batch):
            account, symbol = book.symbols[i % len(book.symbols)]
            i += 1
            book.marks[symbol] *= math.exp(rng.gauss(0, 0.0005))
            book.store.apply(MarkTick(Exchange.BINANCE, symbol, book.marks[symbol], Stamp(now, now),
                                      funding_rate=0.0001))
            book.channels[account].data(clock.monotonic())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), period)


class NaiveApp(App[None]):
    """What one would write first: every tick, clear the DataTable and add every row again."""

    CSS = "DataTable { height: 1fr; }"
    HZ: ClassVar[float] = 4.0

    def __init__(self, store: MonitorStore) -> None:
        super().__init__()
        self.store = store

    def compose(self) -> ComposeResult:
        yield DataTable(id="naive")

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for c in COLUMNS:
            table.add_column(c.label, width=c.width, key=c.key)
        self.set_interval(1 / self.HZ, self.tick)

    def tick(self) -> None:
        table = self.query_one(DataTable)
        table.clear()
        table.add_rows([[text for text, _ in e.cells] for e in position_entries(self.store.snapshot())])


class FrameMeter:
    """Counts painted frames and encodes each one as the terminal driver would (headless skips it)."""

    def __init__(self, app: App[Any]) -> None:
        self.frames = 0
        self.bytes = 0
        original: Callable[..., None] = app._display

        def display(screen: Any, renderable: Any) -> None:
            if renderable is not None:
                self.frames += 1
                render = getattr(renderable, "render_segments", None)
                if render is not None:
                    self.bytes += len(render(app.console))
            original(screen, renderable)

        app._display = display  # type: ignore[method-assign]


@dataclass
class Result:
    name: str
    cpu_pct: float
    frames: int
    fps: float
    mbytes: float


async def measure(name: str, book: Book, seconds: float, app: App[Any] | None) -> Result:
    stop = asyncio.Event()
    feeder = asyncio.create_task(feed(book, stop))
    runner = None
    meter = None
    if app is not None:
        meter = FrameMeter(app)
        runner = asyncio.create_task(app.run_async(headless=True, size=SIZE))
    await asyncio.sleep(WARMUP_S)
    frames0 = meter.frames if meter else 0
    bytes0 = meter.bytes if meter else 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    frames = (meter.frames - frames0) if meter else 0
    sent = (meter.bytes - bytes0) if meter else 0
    stop.set()
    await feeder
    if app is not None and runner is not None:
        app.exit()
        await runner
    wall = wall1 - wall0
    return Result(name, 100.0 * (cpu1 - cpu0) / wall, frames, frames / wall, sent / 1e6)


async def main(seconds: float, hz: float, accounts: int, per_account: int) -> None:
    NaiveApp.HZ = hz
    rows = []
    book = build_store(accounts, per_account)
    rows.append(await measure("feeds only (no UI)", book, seconds, None))
    book = build_store(accounts, per_account)
    app = make_app(UiSettings(refresh_hz=hz), backend=Backend(book.store, EngineAlerts(), "bench"))
    rows.append(await measure(f"liqwatch App ({hz:g} Hz, diffed rows)", book, seconds, app))
    book = build_store(accounts, per_account)
    rows.append(await measure(f"naive DataTable ({hz:g} Hz, clear + re-add)", book, seconds, NaiveApp(book.store)))
    feeds = rows[0].cpu_pct
    print(f"{accounts * per_account} positions in {accounts} accounts, every mark once a second; "
          f"{SIZE[0]}×{SIZE[1]}, {seconds:g} s per phase after {WARMUP_S:g} s warm-up")
    print(f"{'phase':<44} {'CPU % of a core':>16} {'UI share %':>11} {'frames':>7} {'fps':>6} {'MB out':>7}")
    for r in rows:
        share = "" if r is rows[0] else f"{r.cpu_pct - feeds:.1f}"
        print(f"{r.name:<44} {r.cpu_pct:>16.1f} {share:>11} {r.frames:>7} {r.fps:>6.1f} {r.mbytes:>7.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="measured seconds per phase (default 60)")
    parser.add_argument("--hz", type=float, default=4.0, help="UI refresh rate, as [ui] refresh_hz (default 4)")
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--per-account", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.seconds, args.hz, args.accounts, args.per_account))
