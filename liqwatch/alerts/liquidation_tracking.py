"""Ties the store's liquidation records to their alerts and to the next run.

- Acknowledging a liquidation's alert (in the App, or with ``liqwatch alerts ack``) releases the store's
  LIQUIDATED row, and with it the account's critical status; acknowledging an exchange risk event's alert
  (margin call, ADL, closed while blind) releases the status it held the same way.
- Each account's open positions (and unacknowledged liquidations) are saved as they change, so the next run
  can tell which positions closed while liqwatch was not running and ask the exchange's history why.
"""

from __future__ import annotations

import logging
import sqlite3

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.model import Alert, AlertKey
from liqwatch.alerts.service import AlertService
from liqwatch.model import Side
from liqwatch.storage import last_run
from liqwatch.storage.async_db import AsyncDatabase
from liqwatch.storage.db import StorageError
from liqwatch.storage.record import Record
from liqwatch.store import MonitorSnapshot, MonitorStore

log = logging.getLogger(__name__)

SAVE_EVERY_S = 10.0  # the "last seen" time moves on even when nothing changes


def liquidation_of(alert: Alert) -> tuple[str, str, Side] | None:
    """(account, symbol, side) when ``alert`` is a liquidation's (subject ``liquidation SYMBOL side``)."""
    parts = alert.key.subject.split(" ")
    if alert.key.rule is not AlertRule.RISK_EVENT or len(parts) != 3 or parts[0] != "liquidation":
        return None
    try:
        return alert.key.account, parts[1], Side(parts[2])
    except ValueError:
        return None


class LiquidationTracker:
    def __init__(self, db: AsyncDatabase | Record, service: AlertService, store: MonitorStore, *,
                 compare_with_last_run: bool = True) -> None:
        self.db = Record.of(db)
        self.compare_with_last_run = compare_with_last_run
        self.service = service
        self.store = store
        self._saved: dict[str, tuple[object, float]] = {}

    async def start(self) -> None:
        self.service.on_acknowledged.append(self._acknowledged)
        for key, alert in self.service.state.active.items():
            # An exchange event's alert restored from the database holds its account's status until acked.
            if key.rule is AlertRule.RISK_EVENT and liquidation_of(alert) is None:
                self.store.hold_exchange_event(key.account, key.subject, alert.level)
        if not self.compare_with_last_run:
            return
        try:
            previous = await self.db.run(last_run.load)
        except (sqlite3.Error, StorageError, OSError) as exc:
            log.error("liquidations: the last run's positions cannot be read (%s): what closed while liqwatch"
                      " was not running is not looked up this time", exc)
            return
        active = set(self.service.state.active)
        known = set(self.store.account_names())
        for account, (prev, liquidations) in previous.items():
            if account not in known:
                continue
            for r in liquidations:
                # Still listed only while its alert (restored from the database) is not acknowledged.
                if AlertKey(account, AlertRule.RISK_EVENT, r.alert_subject) in active:
                    self.store.record_liquidation(r, announce=False)
            self.store.set_previous_run(account, prev)

    def _acknowledged(self, alert: Alert) -> None:
        found = liquidation_of(alert)
        if found is not None:
            self.store.release_liquidation(*found)
        elif alert.key.rule is AlertRule.RISK_EVENT:
            self.store.release_exchange_event(alert.key.account, alert.key.subject)

    async def on_snapshot(self, snapshot: MonitorSnapshot) -> None:
        now = snapshot.time.timestamp()
        for view in snapshot.accounts:
            if not view.synced:
                continue  # never overwrite the last run's picture before this run has its own
            positions = sorted((p.risk.symbol, p.risk.side, p.risk.size) for p in view.positions)
            signature = (tuple(positions), view.liquidations)
            saved = self._saved.get(view.name)
            if saved is not None and saved[0] == signature and now - saved[1] < SAVE_EVERY_S:
                continue
            # Queued; a later picture of the same account supersedes it, so a full queue may drop it.
            self.db.submit_droppable(last_run.save, view.name, snapshot.time, positions, view.liquidations)
            self._saved[view.name] = (signature, now)
