"""Snapshots into history: one sample per account per minute, stale periods, store incidents, funding."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from liqwatch.history_recorder import HistoryRecorder
from liqwatch.model import FundingPayment
from liqwatch.risk_events import RiskEvent, RiskEventKind
from liqwatch.storage import history
from liqwatch.storage.async_db import AsyncDatabase
from tests.alerts.alert_scenarios import SYMBOL, T0, Scenario


async def test_samples_incidents_and_funding(tmp_path: Path) -> None:
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    sc = Scenario()
    rec = HistoryRecorder(db, interval_s=60)
    try:
        await rec.start(sc.clock.now())
        for _ in range(150):  # 150 s of ticks: three minute buckets
            await rec.on_snapshot(sc.tick(59_000, advance=1))
        await rec.on_snapshot(sc.silence(10))  # STALE: a period opens
        await rec.on_snapshot(sc.silence(10))
        await rec.on_snapshot(sc.tick(59_500))  # LIVE again: it closes
        sc.store.report(RiskEvent(RiskEventKind.MARGIN_CALL, "main",
                                  "Binance MARGIN_CALL (risk guidance from the exchange)", sc.clock.now()))
        await rec.on_snapshot(sc.tick(59_500))
        pays = [FundingPayment(SYMBOL, -5.9, T0 + timedelta(hours=8), payment_id="f1")]
        assert await rec.record_funding("main", pays) == 1
        assert await rec.record_funding("main", pays) == 0  # the same page again

        since = T0 - timedelta(hours=1)
        samples = await db.run(history.samples, "main", since)
        assert [s.time for s in samples] == [T0.timestamp() + 60 * k for k in range(3)]
        assert samples[0].equity == 9_000 and samples[0].positions == 1 and samples[0].fresh
        incidents = await db.run(history.incidents, "main", since)
        assert [(i.kind, i.channel) for i in incidents] == [("stale", "mark"), ("exchange", "")]
        assert incidents[0].ended_at is not None and incidents[0].ended_at - incidents[0].started_at == 16
        assert "MARGIN_CALL" in incidents[1].detail
        assert [(f.symbol, f.amount) for f in await db.run(history.funding, "main", since)] == [(SYMBOL, -5.9)]
    finally:
        await db.aclose()
