"""The screen's read of the engine: the snapshot the engine last published (built when the store changed,
or at its freshness cadence, its alerts already evaluated), taken when it is new, and the detail history.

Nothing here builds a snapshot or awaits the alerts: a slow or paused screen delays only its own repaint.
"""

from __future__ import annotations

from liqwatch.store import MonitorSnapshot
from widgets.history import PositionHistory
from widgets.ports import MonitorSource


class SnapshotPump:
    def __init__(self, source: MonitorSource) -> None:
        self.source = source
        self.history = PositionHistory()
        self.latest: MonitorSnapshot | None = None
        self.pulls = 0

    async def pull(self, force: bool = False, settle: bool = True) -> MonitorSnapshot | None:
        """The engine's newest snapshot if it is not the one shown last (``force``: the engine builds one
        now, for a test or the first paint; ``settle``: and waits, a bounded time, for its alerts: the first
        paint does not, a stuck alert evaluation must not hold the screen), else None."""
        snap = await self.source.step(force=True, settle=settle) if force else self.source.latest
        if snap is None or (snap is self.latest and not force):
            return None
        self.pulls += 1
        self.history.record(snap)
        self.latest = snap
        return snap
