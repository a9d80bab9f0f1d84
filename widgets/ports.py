"""What the widgets and screens need from the engine, as protocols: a snapshot source and the alerts.

``MonitorStore`` is a ``MonitorSource`` as it is; ``AlertService`` (shown at once, recorded in order) and the
in-memory engine adapter in ``tui`` are ``AlertPort``s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from liqwatch.account_book import AccountBook
from liqwatch.alerts.model import Alert, AlertEvent
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.store import MonitorSnapshot


class MonitorSource(Protocol):
    version: int
    thresholds: ThresholdMap  # each account's own: the what-if screen judges shifted figures with them

    def snapshot(self) -> MonitorSnapshot: ...

    def book(self, account: str) -> AccountBook: ...


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
