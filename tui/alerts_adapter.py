"""``AlertPort``s: the alerts as the UI sees them.

``ServiceAlerts`` wraps an open ``AlertRuntime`` (every event queued for the database as it is shown,
history samples recorded, old rows purged);
``EngineAlerts`` runs the same pure engine in memory, for tests and when no database can be opened.
Both keep this session's events as the on-demand history.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence

from liqwatch.alert_runtime import AlertRuntime
from liqwatch.alerts import engine
from liqwatch.alerts.liquidation_tracking import liquidation_of
from liqwatch.alerts.model import Alert, AlertEvent, AlertState, EventKind
from liqwatch.clock import Clock, SystemClock
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.store import MonitorSnapshot, MonitorStore

HISTORY = 1000


class EngineAlerts:
    def __init__(self, thresholds: ThresholdMap | None = None, clock: Clock | None = None,
                 store: MonitorStore | None = None) -> None:
        self.thresholds = thresholds or ThresholdMap()
        self.store = store
        self.clock = clock or SystemClock()
        self._state = AlertState()
        self._history: deque[AlertEvent] = deque(maxlen=HISTORY)

    def alerts(self) -> Sequence[Alert]:
        return self._state.alerts()

    def history(self) -> Sequence[AlertEvent]:
        return tuple(self._history)

    async def update(self, snapshot: MonitorSnapshot) -> None:
        self._state, events = engine.evaluate(self._state, snapshot, self.thresholds, self.clock.now())
        self._history.extend(events)

    async def ack(self, alert_id: str) -> bool:
        self._state, events = engine.ack(self._state, alert_id, self.clock.now())
        self._acknowledged(events)
        return bool(events)

    async def ack_all(self) -> int:
        self._state, events = engine.ack_all(self._state, self.clock.now())
        self._acknowledged(events)
        return sum(1 for e in events if e.kind.value == "acknowledged")

    def _acknowledged(self, events: list[AlertEvent]) -> None:
        self._history.extend(events)
        for e in events:
            found = liquidation_of(e.alert) if e.kind is EventKind.ACKNOWLEDGED else None
            if found is not None and self.store is not None:
                self.store.release_liquidation(*found)  # as the service does: the LIQUIDATED row goes

    async def snooze(self, alert_id: str, seconds: float) -> bool:
        self._state, events = engine.snooze(self._state, alert_id, seconds, self.clock.now())
        self._history.extend(events)
        return bool(events)


class ServiceAlerts:
    def __init__(self, runtime: AlertRuntime) -> None:
        self.runtime = runtime
        self.service = runtime.service
        self._history: deque[AlertEvent] = deque(maxlen=HISTORY)
        # Every event the service shows, the trader's acknowledgements and snoozes included (``h``).
        self.service.on_events.append(self._history.extend)

    def alerts(self) -> Sequence[Alert]:
        return self.service.alerts()

    def history(self) -> Sequence[AlertEvent]:
        return tuple(self._history)

    def record_status(self) -> str:
        return self.runtime.record_status

    async def update(self, snapshot: MonitorSnapshot) -> None:
        await self.runtime.on_snapshot(snapshot)  # its events reach the history through ``on_events``

    async def ack(self, alert_id: str) -> bool:
        return await self.service.ack(alert_id)

    async def ack_all(self) -> int:
        return await self.service.ack_all()

    async def snooze(self, alert_id: str, seconds: float) -> bool:
        return await self.service.snooze(alert_id, seconds)
