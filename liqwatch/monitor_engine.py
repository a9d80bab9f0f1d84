"""The engine loop: builds the snapshot when the store changed, evaluates the alerts on it, and publishes the
latest for every front end (the App's screen, ``check --watch``, ``demo --plain``) to read without awaiting.

Front ends used to pull: the screen's timer built the snapshot (liquidation solves included) and awaited the
alerts' database writes, so a busy screen delayed the alerts and a front end that did not pull
(``demo --plain``) evaluated none. Here one loop does both, whoever watches: every ``poll_s`` it builds a
snapshot if the store's version moved, or if ``fresh_s`` passed without one (ages grow with time alone, so
LIVE -> STALE shows, and so do countdowns), then evaluates the alerts on it and only then publishes it, so a
reader never sees a snapshot whose alerts were not raised yet.

    async with MonitorEngine(store, alerting.on_snapshot) as engine:
        snap = engine.latest        # the newest (snapshot, evaluated): never awaits
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType

from liqwatch.config.thresholds import ThresholdMap
from liqwatch.read_model import MonitorSnapshot
from liqwatch.store import MonitorStore

log = logging.getLogger(__name__)

#: Evaluates the alerts on one snapshot (``AlertRuntime.on_snapshot``, an ``AlertPort.update``).
Evaluate = Callable[[MonitorSnapshot], Awaitable[object]]

POLL_S = 0.25  # how often the store's version is looked at: at most this many builds a second (4)
FRESH_S = 0.5  # a new snapshot at least this often, changed or not (ages, countdowns, staleness)


class MonitorEngine:
    def __init__(self, store: MonitorStore, evaluate: Evaluate | None = None, *, poll_s: float = POLL_S,
                 fresh_s: float = FRESH_S) -> None:
        if not (poll_s > 0 and fresh_s > 0):
            raise ValueError("monitor engine: poll_s and fresh_s must be > 0")
        self.store = store
        self.evaluate = evaluate
        self.poll_s = poll_s
        self.fresh_s = fresh_s
        self.latest: MonitorSnapshot | None = None
        """The newest snapshot, its alerts evaluated: what front ends read."""
        self.builds = 0
        self.evaluations = 0
        self.errors = 0
        self._version = -1
        self._built_at = float("-inf")
        self._lock = asyncio.Lock()
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
        """The store changed since the last build, or the last one is ``fresh_s`` old."""
        return (self.store.version != self._version
                or self.store.clock.monotonic() - self._built_at >= self.fresh_s)

    async def step(self, force: bool = False) -> MonitorSnapshot | None:
        """Build, evaluate and publish one snapshot if one is due (``force``: now); None when none was."""
        async with self._lock:
            if not force and not self.due():
                return None
            snap = self.store.snapshot()
            self.builds += 1
            self._version, self._built_at = snap.version, self.store.clock.monotonic()
            if self.evaluate is not None:
                try:
                    await self.evaluate(snap)
                    self.evaluations += 1
                except Exception:  # an alert bug must not stop the monitor: the snapshot is still shown
                    self.errors += 1
                    log.exception("engine: alert evaluation failed")
            self.latest = snap
            return snap

    async def run(self) -> None:
        """The loop; runs until cancelled."""
        while True:
            try:
                await self.step()
            except Exception:  # a failed build is logged and tried again at the next poll
                self.errors += 1
                log.exception("engine: snapshot not built")
            await asyncio.sleep(self.poll_s)

    def start(self) -> None:
        """Run the loop as a task of the running event loop (once)."""
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="monitor-engine")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def __aenter__(self) -> MonitorEngine:
        await self.step(force=True)  # a first snapshot, evaluated, before any front end reads
        self.start()
        return self

    async def __aexit__(self, et: type[BaseException] | None, ev: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.stop()
