"""What the widgets and screens need from the engine, as protocols: a snapshot source and the alerts.

``liqwatch.monitor_engine.MonitorEngine`` is a ``MonitorSource``: it builds the snapshots and evaluates their
alerts itself; the screen only reads what it published (never the live store: the what-if too computes from
the snapshot's own inputs). ``AlertService`` (shown at once, recorded in order) and the in-memory engine
adapter in ``tui`` are ``AlertPort``s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from liqwatch.alerts.model import Alert, AlertEvent
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.store import MonitorSnapshot


class MonitorSource(Protocol):
    @property
    def latest(self) -> MonitorSnapshot | None:
        """The newest published snapshot, its alerts evaluated (None before the first): read, never awaited."""
        ...

    @property
    def thresholds(self) -> ThresholdMap:
        """Each account's own: the what-if screen judges shifted figures with them."""
        ...

    @property
    def running(self) -> bool: ...

    def start(self) -> None:
        """Run the engine's loop on the running event loop, if it does not run yet."""
        ...

    async def stop(self) -> None: ...

    async def step(self, force: bool = False, *, settle: bool = True) -> MonitorSnapshot | None:
        """Build and publish a snapshot now if one is due (``force``: in any case); ``settle``: and wait (a
        bounded time) for its alerts, the test seam. The screen never settles: it must not wait on alerts."""
        ...


@runtime_checkable
class RecordedAlerts(Protocol):
    """An ``AlertPort`` backed by the database: it can say whether its record is being written."""

    def record_status(self) -> str:
        """``ok``, or ``unavailable: <reason>``."""
        ...


class AlertPort(Protocol):
    def alerts(self) -> Sequence[Alert]:
        """Active alerts, worst first."""
        ...

    def history(self) -> Sequence[AlertEvent]:
        """Alert events of this session, oldest first."""
        ...

    async def update(self, snapshot: MonitorSnapshot) -> None: ...

    async def ack(self, alert_id: str) -> bool: ...

    async def ack_all(self) -> int: ...

    async def snooze(self, alert_id: str, seconds: float) -> bool: ...
