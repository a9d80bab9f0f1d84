"""The engine loop: builds the snapshot when the store changed, publishes it at once for every front end (the
App's screen, ``check --watch``, ``demo --plain``) to read without awaiting, and has the alerts evaluated on it.

Front ends used to pull: the screen's timer built the snapshot (liquidation solves included) and awaited the
alerts' database writes, so a busy screen delayed the alerts and a front end that did not pull
(``demo --plain``) evaluated none. Here one loop does both, whoever watches: every ``poll_s`` it builds a
snapshot if the store's version moved, or if ``fresh_s`` passed without one (ages grow with time alone, so
LIVE -> STALE shows, and so do countdowns), and publishes it.

The alerts are evaluated beside the loop, never in its way: an evaluation whose record waits on a locked
database must not freeze what every front end reads. Each published snapshot is handed to the evaluation;
while one runs, only the newest waiting is evaluated next. One that outlasts ``eval_timeout_s`` is given up
(counted in ``errors``, logged), and while the state the alerts last judged is over ``late_s`` old the
published snapshot says so (``alerts_behind_s``: the App's header and ``check`` show it). When an evaluation
ends the newest snapshot is published again (a new object, the same state), so a screen shows its alerts at
its next tick rather than with the next build.

Event-driven (``wake_on_change``, the default): the store calls the engine back after each change
(``MonitorStore.on_change``), and the loop builds at its next turn: the frames applied in one turn make one
build (the incremental snapshot, liqwatch.store_incremental, re-evaluates only the accounts they touched).
The snapshot is handed to the alerts at once when it moved something they judge (danger levels, status,
freshness, feeds, positions, events: ``engine_pacing.alert_relevant``), else at most every ``poll_s``. The
loop also builds when a view may change by time alone (``MonitorStore.next_change_mono``: a channel reaching
its freshness limit), so a LIVE -> STALE transition is shown, and judged, when it happens. Builds triggered
by changes are kept to a share of the CPU (``engine_pacing.BuildBudget``: CPU time charged, a hold of
``poll_s`` at most); builds due by time never wait. ``wake_on_change=False`` polls every ``poll_s`` as
before (the benchmark's baseline).

A build that fails is logged and tried again at the next poll; once the last good snapshot is ``stale_s``
old, readers get it told as old (liqwatch.snapshot_aging: its feeds STALE, with the reason) rather than as
the state of now.

    async with MonitorEngine(store, alerting.on_snapshot) as engine:
        snap = engine.latest        # the newest published snapshot: never awaits
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from types import TracebackType

from liqwatch.config.thresholds import ThresholdMap
from liqwatch.engine_pacing import BuildBudget, alert_relevant
from liqwatch.read_model import MonitorSnapshot
from liqwatch.redact import redact
from liqwatch.snapshot_aging import aged
from liqwatch.store import MonitorStore

log = logging.getLogger(__name__)

#: Evaluates the alerts on one snapshot (``AlertRuntime.on_snapshot``, an ``AlertPort.update``).
Evaluate = Callable[[MonitorSnapshot], Awaitable[object]]

POLL_S = 0.25  # how often the store's version is looked at: at most this many builds a second (4)
FRESH_S = 0.5  # a new snapshot at least this often, changed or not (ages, countdowns, staleness)
SETTLE_S = 5.0  # how long step() waits for its snapshot's alerts (first paint of check, tests), at most
LATE_S = 2.0  # alerts judging a state older than this are behind, and the published snapshot says so
EVAL_TIMEOUT_S = 60.0  # an evaluation still running after this is given up (a database that never answers)
STOP_WAIT_S = 0.5  # how long stop() lets an evaluation under way end
STALE_S = 2.0  # the last good snapshot older than this, builds failing since: published told as old
TIMED_AFTER_S = 1e-3  # a build due by time runs this long after the limit (a channel is STALE after it)


class MonitorEngine:
    def __init__(self, store: MonitorStore, evaluate: Evaluate | None = None, *, poll_s: float = POLL_S,
                 fresh_s: float = FRESH_S, settle_s: float = SETTLE_S, late_s: float = LATE_S,
                 eval_timeout_s: float = EVAL_TIMEOUT_S, stale_s: float = STALE_S, wake_on_change: bool = True,
                 budget: BuildBudget | None = None, cpu: Callable[[], float] = time.thread_time) -> None:
        if not all(v > 0 for v in (poll_s, fresh_s, settle_s, late_s, eval_timeout_s, stale_s)):
            raise ValueError("monitor engine: poll_s, fresh_s, settle_s, late_s, eval_timeout_s and stale_s "
                             "must be > 0")
        self.store = store
        self.evaluate = evaluate
        self.poll_s = poll_s
        self.fresh_s = fresh_s
        self.settle_s = settle_s
        self.late_s = late_s
        self.eval_timeout_s = eval_timeout_s
        self.stale_s = stale_s
        self.wake_on_change = wake_on_change
        self.budget = budget or BuildBudget(poll_s, cpu=cpu)
        self.cpu = cpu
        self.build_cpu_s = 0.0  # the last build's CPU time
        self._wake = asyncio.Event()  # set by the store's change listener
        self._handed: tuple[MonitorSnapshot, float] | None = None  # the last snapshot handed to the alerts
        self._unhanded = False  # a snapshot built since was not handed (nothing alert-relevant moved)
        self.latest: MonitorSnapshot | None = None
        """The newest published snapshot: what front ends read."""
        self.builds = 0
        self.evaluations = 0
        self.errors = 0
        self._version = -1
        self._built_at = float("-inf")
        self._good: tuple[MonitorSnapshot, float] | None = None  # the last snapshot built, and when (mono)
        self._published = 0  # snapshots handed to the evaluation, numbered
        self._pending: tuple[int, MonitorSnapshot, float] | None = None  # the newest not evaluated yet
        self._evaluated = 0  # the number of the last snapshot whose evaluation ended
        # When (mono) the state the alerts last judged was built (the first handed over, before any ended).
        self._judged_at: float | None = None
        self._ended = asyncio.Event()  # set, and replaced, whenever an evaluation ends
        self._evaluating: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def version(self) -> int:
        """The published snapshot's store version (-1 before the first)."""
        return self.latest.version if self.latest is not None else -1

    @property
    def thresholds(self) -> ThresholdMap:
        """Each account's own thresholds, as the snapshot and its alerts judge with them."""
        return self.store.thresholds

    def due(self) -> bool:
        """The store changed since the last build, or one is due by time (``timed_at``)."""
        return self.store.version != self._version or self.store.clock.monotonic() >= self.timed_at()

    def timed_at(self) -> float:
        """When (monotonic) a build is due by time alone: ``fresh_s`` after the last, just after a view's
        limit by time (event-driven), or ``poll_s`` after the alerts were last handed one while a newer
        waits. Never held back by the budget."""
        at = self._built_at + self.fresh_s
        if self.wake_on_change:
            limit = self.store.next_change_mono() + TIMED_AFTER_S
            if limit > self._built_at:  # not built since it passed
                at = min(at, limit)
            if self._unhanded and self._handed is not None:
                at = min(at, self._handed[1] + self.poll_s)
        return at

    def alerts_behind_s(self, now_mono: float) -> float | None:
        """How old the state the alerts last judged is, when newer state waits and it is over ``late_s``."""
        waiting = self._pending is not None or (self._evaluating is not None and not self._evaluating.done())
        if self.evaluate is None or not waiting:
            return None
        behind = None if self._judged_at is None else now_mono - self._judged_at
        return behind if behind is not None and behind > self.late_s else None

    async def step(self, force: bool = False, *, settle: bool = True) -> MonitorSnapshot | None:
        """Build and publish one snapshot if one is due (``force``: now), and hand it to the alerts; None when
        none was. ``settle``: wait (``settle_s`` at most) for its alerts, and publish the state of then if
        the wait let time pass (a snapshot published after a slow evaluation must not tell old ages as
        current). The loop and the screen never settle; ``check``'s first print and tests do."""
        if not force and not self.due():
            return None
        number = self._build(evaluate=True)
        if settle and self.evaluate is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.settle_s):
                    while self._evaluated < number:
                        await self._ended.wait()
            if self.store.clock.monotonic() - self._built_at >= self.fresh_s:
                self._build(evaluate=False)  # the state of now; the next poll builds it again for the alerts
        return self.latest

    def _build(self, evaluate: bool) -> int:
        """Build and publish a snapshot (``evaluate``: and hand it to the alerts); its number for them."""
        cpu = self.cpu()
        snap = self.store.snapshot()
        self.build_cpu_s = self.cpu() - cpu
        if self.wake_on_change:
            self.budget.charge(self.build_cpu_s)
        now = self.store.clock.monotonic()
        self.builds += 1
        self._good = (snap, now)
        if evaluate:
            self._version, self._built_at = snap.version, now
        number = self._published
        if evaluate and self.evaluate is not None and self.wake_on_change:
            # Handed at once when it moved what the alerts judge, else at most every poll_s.
            handed = self._handed
            evaluate = (handed is None or now - handed[1] >= self.poll_s
                        or alert_relevant(handed[0], snap))
            self._unhanded = not evaluate
            if evaluate:
                self._handed = (snap, now)
        if evaluate and self.evaluate is not None:
            if self._judged_at is None:  # before any evaluation ended, the alerts are behind since the first
                self._judged_at = now
            self._published = number = number + 1
            self._pending = (number, snap, now)
            if self._evaluating is None or self._evaluating.done():
                self._evaluating = asyncio.create_task(self._evaluate_pending(), name="monitor-engine-alerts")
        self.latest = replace(snap, alerts_behind_s=self.alerts_behind_s(now))
        return number

    async def _evaluate_pending(self) -> None:
        """Evaluate the newest snapshot handed over, until none waits (one task while there is work)."""
        while self._pending is not None and self.evaluate is not None:
            (number, snap, built), self._pending = self._pending, None
            try:
                async with asyncio.timeout(self.eval_timeout_s):
                    await self.evaluate(snap)
                self.evaluations += 1
            except TimeoutError:
                self.errors += 1
                log.error("engine: alert evaluation given up after %g s", self.eval_timeout_s)
            except Exception:  # an alert bug must not stop the monitor: the snapshot is still shown
                self.errors += 1
                log.exception("engine: alert evaluation failed")
            self._evaluated, self._judged_at = number, built
            ended, self._ended = self._ended, asyncio.Event()
            ended.set()
            if self.latest is not None:  # its alerts are out: the screen shows them at its next tick
                now = self.store.clock.monotonic()
                self.latest = replace(self.latest, alerts_behind_s=self.alerts_behind_s(now))

    def _failed(self, exc: Exception) -> None:
        """A build failed: once the last good snapshot is ``stale_s`` old, publish it told as old."""
        self.errors += 1
        log.exception("engine: snapshot not built")
        if self._good is None:
            return
        snap, built = self._good
        now = self.store.clock.monotonic()
        elapsed = now - built
        if elapsed >= self.stale_s:
            reason = redact(f"{type(exc).__name__}: {exc}")
            self.latest = replace(aged(snap, elapsed, reason), alerts_behind_s=self.alerts_behind_s(now))

    async def run(self) -> None:
        """The loop; runs until cancelled."""
        while True:
            if self.wake_on_change:
                await self._idle()  # every build of the loop waits for its credit, the first too
            try:
                await self.step(settle=False)
            except Exception as exc:  # a failed build is logged and tried again at the next poll
                self._failed(exc)
                await asyncio.sleep(self.poll_s)  # still due: never a busy retry
                continue
            if not self.wake_on_change:
                await asyncio.sleep(self.poll_s)

    async def _idle(self) -> None:
        """Until a build is due: woken by the store's change listener, or by time. A change waits for the
        build budget's credit (``poll_s`` at most); a build due by time never waits."""
        while True:
            self._wake.clear()
            now = self.store.clock.monotonic()
            timed = self.timed_at()
            if timed <= now:
                return
            # Looked at again every poll_s at least: the store's clock may be another than the loop's.
            wait = min(self.poll_s, timed - now) if math.isfinite(timed) else self.poll_s
            if self.store.version != self._version:
                hold = self.budget.hold_s()
                if hold <= 0:
                    return
                self.budget.held += 1
                await asyncio.sleep(min(hold, wait))
                continue
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await self._wake.wait()

    def start(self) -> None:
        """Run the loop as a task of the running event loop (once)."""
        if self._task is None or self._task.done():
            if self.wake_on_change and self._wake.set not in self.store.on_change:
                self.store.on_change.append(self._wake.set)
            self._task = asyncio.create_task(self.run(), name="monitor-engine")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop the loop; the alerts' evaluation under way (and the newest waiting) may end, ``STOP_WAIT_S`` at
        most (a healthy record's write takes no longer), so the last state shown is judged at a clean exit;
        one stuck on the database is cancelled (its writes are queued already, and flushed at exit)."""
        task, self._task = self._task, None
        with contextlib.suppress(ValueError):
            self.store.on_change.remove(self._wake.set)
        evaluating, self._evaluating = self._evaluating, None
        if evaluating is not None and not evaluating.done():
            await asyncio.wait({evaluating}, timeout=STOP_WAIT_S)
        for t in (task, evaluating):
            if t is not None:
                t.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await t

    async def __aenter__(self) -> MonitorEngine:
        await self.step(force=True)  # a first snapshot, its alerts evaluated (settle_s at most), before any reads
        self.start()
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
