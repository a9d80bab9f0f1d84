"""UI cost: the App watching 200 positions in 10 accounts, every mark once a second, at 10 Hz, against a naive
full-table refresh (a DataTable cleared and re-filled on every tick) in the same run.

Each phase runs for ``--seconds`` after a short warm-up, with the same feeder: a task applying 200 mark ticks
a second (10 every 50 ms) to a MonitorStore. Phases:

- engine only: the engine loop (snapshots and their alerts) with no App, so the UI's share reads off;
- App: liqwatch's App, headless at 160×50, at ``--hz``;
- naive: a DataTable cleared and re-filled from a new snapshot at ``--hz``;
- idle: the App again, the marks re-sent unchanged under a frozen wall clock (nothing on the screen can
  change): counts the table cells and lines repainted, which must be 0.

Reported: CPU of this process in % of one core, frames painted. Headless Textual skips turning frames into
terminal output, so every frame is also encoded here as a real terminal driver would.

Goals (issue 15): App ≤ 15 % of a core, ≤ 1/5 of the naive table, nothing repainted when nothing changed.

Run: python benchmarks/bench_ui.py [--seconds N] [--hz 10] [--quick] [--json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository, for benchmarks.*

from textual.app import App, ComposeResult
from textual.widgets import DataTable

from benchmarks.book_200 import Book, build_book
from liqwatch.clock import SystemClock
from liqwatch.config.settings import UiSettings
from liqwatch.model import Exchange, MarkTick, Stamp
from liqwatch.monitor_engine import MonitorEngine
from liqwatch.store import MonitorStore
from tui.alerts_adapter import EngineAlerts
from tui.app import LiqwatchApp, make_app
from tui.backend import Backend
from widgets.keyed_table import KeyedTable
from widgets.position_rows import COLUMNS, position_entries
from widgets.text_lines import TextLines

SIZE = (160, 50)
WARMUP_S = 3.0


class FrozenWall(SystemClock):
    """Monotonic time runs (feeds stay LIVE), the wall clock stands still: no age or countdown moves."""

    def __init__(self) -> None:
        self._at = datetime.now(UTC)

    def now(self) -> datetime:
        return self._at


def build_store(accounts: int, per_account: int, seed: int = 3, clock: SystemClock | None = None) -> Book:
    return build_book(accounts, per_account, seed, clock)


async def feed(book: Book, stop: asyncio.Event, seed: int = 5, move: bool = True) -> None:
    """Every mark once a second, spread evenly: 10 ticks every 50 ms (``move`` False: each at its price)."""
    rng = random.Random(seed)
    batch, period = 10, 0.05
    i = 0
    clock = book.store.clock
    while not stop.is_set():
        now = clock.now()
        for _ in range(batch):
            account, symbol = book.symbols[i % len(book.symbols)]
            i += 1
            if move:
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


def repaint_count(app: App[Any]) -> int:
    """Table cells asked to repaint, table lines rendered and text lines rendered, on the App's screens."""
    if not isinstance(app, LiqwatchApp):
        return 0
    screen = app.monitor
    tables = list(screen.query(KeyedTable))
    texts = list(screen.query(TextLines))
    return sum(t.cells_repainted + t.rows_rendered for t in tables) + sum(t.lines_rendered for t in texts)


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
    repainted: int = 0


async def measure(name: str, book: Book, seconds: float, app: App[Any] | None, *, warmup: float = WARMUP_S,
                  move: bool = True, engine: MonitorEngine | None = None) -> Result:
    stop = asyncio.Event()
    feeder = asyncio.create_task(feed(book, stop, move=move))
    runner = None
    meter = None
    if engine is not None:
        engine.start()
    if app is not None:
        meter = FrameMeter(app)
        runner = asyncio.create_task(app.run_async(headless=True, size=SIZE))
    await asyncio.sleep(warmup)
    frames0 = meter.frames if meter else 0
    bytes0 = meter.bytes if meter else 0
    painted0 = repaint_count(app) if app is not None else 0
    cpu0, wall0 = time.process_time(), time.perf_counter()
    await asyncio.sleep(seconds)
    cpu1, wall1 = time.process_time(), time.perf_counter()
    frames = (meter.frames - frames0) if meter else 0
    sent = (meter.bytes - bytes0) if meter else 0
    painted = (repaint_count(app) - painted0) if app is not None else 0
    stop.set()
    await feeder
    if engine is not None:
        await engine.stop()
    if app is not None and runner is not None:
        app.exit()
        await runner
    wall = wall1 - wall0
    return Result(name, 100.0 * (cpu1 - cpu0) / wall, frames, frames / wall, sent / 1e6, painted)


#: The engine's poll period (None: its own default); ``--poll`` sets it smaller to see a new snapshot at
#: (nearly) every pull, as an engine publishing on every change gives.
ENGINE_POLL_S: float | None = None


def engine_for(book: Book, alerts: EngineAlerts) -> MonitorEngine:
    if ENGINE_POLL_S is None:
        return MonitorEngine(book.store, alerts.update)
    return MonitorEngine(book.store, alerts.update, poll_s=ENGINE_POLL_S)


def liqwatch_app(book: Book, hz: float) -> App[Any]:
    alerts = EngineAlerts()
    # The App watches the engine loop: it builds the snapshots and evaluates their alerts; the screen reads.
    return make_app(UiSettings(refresh_hz=hz), backend=Backend(engine_for(book, alerts), alerts, "bench"))


async def phases(seconds: float, hz: float, accounts: int, per_account: int, warmup: float) -> list[Result]:
    NaiveApp.HZ = hz
    rows = []
    book = build_store(accounts, per_account)
    rows.append(await measure("engine only (no App)", book, seconds, None, warmup=warmup,
                              engine=engine_for(book, EngineAlerts())))
    book = build_store(accounts, per_account)
    rows.append(await measure(f"liqwatch App ({hz:g} Hz)", book, seconds, liqwatch_app(book, hz), warmup=warmup))
    book = build_store(accounts, per_account)
    rows.append(await measure(f"naive DataTable ({hz:g} Hz, clear + re-add)", book, seconds, NaiveApp(book.store),
                              warmup=warmup))
    book = build_store(accounts, per_account, clock=FrozenWall())
    rows.append(await measure(f"idle App ({hz:g} Hz, marks unchanged)", book, seconds, liqwatch_app(book, hz),
                              warmup=warmup, move=False))
    return rows


def figures(rows: list[Result]) -> dict[str, float]:
    engine, app, naive, idle = rows
    return {
        "app_core_pct": round(app.cpu_pct, 2),
        "naive_core_pct": round(naive.cpu_pct, 2),
        "app_vs_naive": round(app.cpu_pct / naive.cpu_pct, 3) if naive.cpu_pct else math.inf,
        "engine_only_core_pct": round(engine.cpu_pct, 2),
        "ui_share_core_pct": round(app.cpu_pct - engine.cpu_pct, 2),
        "idle_core_pct": round(idle.cpu_pct, 2),
        "idle_cells_repainted": float(idle.repainted),
        "app_fps": round(app.fps, 2),
    }


GOALS: tuple[tuple[str, str, Callable[[float], bool]], ...] = (
         ("app_core_pct", "App ≤ 15 % of a core", lambda v: v <= 15.0),
         ("app_vs_naive", "App ≤ 1/5 of the naive table", lambda v: v <= 0.2),
         ("idle_cells_repainted", "nothing repainted when nothing changed", lambda v: v == 0))


def run(quick: bool, hz: float = 10.0, seconds: float | None = None, accounts: int = 10,
        per_account: int = 20) -> dict[str, float]:
    """The figures (the keys of --json); ``quick``: 6 s a phase (after the same 3 s warm-up)."""
    return figures(asyncio.run(phases(span_s(quick, seconds), hz, accounts, per_account, warmup_s(quick))))


def span_s(quick: bool, seconds: float | None) -> float:
    return seconds if seconds is not None else (6.0 if quick else 20.0)


def warmup_s(quick: bool) -> float:
    # The same warm-up either way: under load the App's start-up (first paints, styles) outlasts 2 s and its
    # cost then lands in a short measured window.
    return WARMUP_S


def report(rows: list[Result], result: dict[str, float], hz: float, seconds: float, accounts: int,
           per_account: int) -> None:
    print(f"{accounts * per_account} positions in {accounts} accounts, every mark once a second, {hz:g} Hz; "
          f"{SIZE[0]}×{SIZE[1]}, {seconds:g} s per phase")
    print(f"{'phase':<44} {'CPU % of a core':>16} {'frames':>7} {'fps':>6} {'MB out':>7} {'repainted':>10}")
    for r in rows:
        print(f"{r.name:<44} {r.cpu_pct:>16.1f} {r.frames:>7} {r.fps:>6.1f} {r.mbytes:>7.2f} {r.repainted:>10}")
    print(f"UI share (App less engine only): {result['ui_share_core_pct']:.1f} % of a core; "
          f"App / naive = {result['app_vs_naive']:.3f}")
    for key, goal, ok in GOALS:
        print(f"goal: {goal}: {result[key]:g} — {'met' if ok(result[key]) else 'NOT met'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=None, help="measured seconds per phase (default 20)")
    parser.add_argument("--hz", type=float, default=10.0, help="UI refresh rate, as [ui] refresh_hz (default 10)")
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--per-account", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="6 s per phase after 3 s of warm-up (~40 s)")
    parser.add_argument("--json", action="store_true", help="print the figures as one flat JSON object")
    parser.add_argument("--poll", type=float, default=None,
                        help="the engine's poll period in s (default its own, 0.25): smaller builds more snapshots")
    args = parser.parse_args()
    ENGINE_POLL_S = args.poll
    span = span_s(args.quick, args.seconds)
    rows = asyncio.run(phases(span, args.hz, args.accounts, args.per_account, warmup_s(args.quick)))
    out = figures(rows)
    if args.json:
        print(json.dumps(out))
    else:
        report(rows, out, args.hz, span, args.accounts, args.per_account)
