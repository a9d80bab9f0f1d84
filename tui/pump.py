"""The UI's pull loop: a snapshot when the store changed, or once a second when it did not (ages,
countdowns and staleness move with time alone), then alert evaluation and the detail history."""

from __future__ import annotations

import time
from collections.abc import Callable

from liqwatch.store import MonitorSnapshot
from widgets.history import PositionHistory
from widgets.ports import AlertPort, MonitorSource


class SnapshotPump:
    def __init__(self, source: MonitorSource, alerts: AlertPort | None, *, idle_s: float = 1.0,
                 alerts_every_s: float = 1.0, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.source = source
        self.alerts = alerts
        self.idle_s = idle_s
        self.alerts_every_s = alerts_every_s
        self.history = PositionHistory()
        self.latest: MonitorSnapshot | None = None
        self.pulls = 0
        self._mono = monotonic
        self._version = -1
        self._last = float("-inf")
        self._last_alerts = float("-inf")

    async def pull(self, force: bool = False) -> MonitorSnapshot | None:
        """A new snapshot, or None when nothing can have changed since the last one."""
        now = self._mono()
        if not force and self.source.version == self._version and now - self._last < self.idle_s:
            return None
        snap = self.source.snapshot()
        self.pulls += 1
        self._version, self._last = snap.version, now
        self.history.record(snap)
        if self.alerts is not None and (force or now - self._last_alerts >= self.alerts_every_s):
            self._last_alerts = now
            await self.alerts.update(snap)
        self.latest = snap
        return snap
