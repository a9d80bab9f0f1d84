"""Review of issue 11's "typed risk events end to end, no incident strings": the history recorder writes each
logged event as a text note (kind "exchange"), so in ``liqwatch history`` a feed note whose words mimic a
liquidation reads exactly as the exchange's own liquidation, and the event's kind is gone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from liqwatch.history_recorder import HistoryRecorder
from liqwatch.model import Side
from liqwatch.risk_events import FeedNote, RiskEvent, RiskEventKind
from liqwatch.storage import history
from liqwatch.storage.async_db import AsyncDatabase
from tests.alerts.alert_scenarios import T0, Scenario

WORDS = "BTC/USDT:USDT long LIQUIDATED at 54000"


async def test_history_tells_a_feed_note_from_a_liquidation(tmp_path: Path) -> None:
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    sc = Scenario()
    rec = HistoryRecorder(db, interval_s=60)
    try:
        await rec.start(sc.clock.now())
        await rec.on_snapshot(sc.tick(59_000))
        sc.store.report(FeedNote("main", WORDS, sc.clock.now(), symbol="BTC/USDT:USDT"))
        sc.store.report(RiskEvent(RiskEventKind.LIQUIDATION, "main", WORDS, sc.clock.now(),
                                  symbol="BTC/USDT:USDT", side=Side.LONG))
        await rec.on_snapshot(sc.tick(59_000))
        await rec.db.drain()  # the queued writes done
        rows = await db.run(history.incidents, "main", T0 - timedelta(hours=1))
        noted = [(i.kind, i.detail) for i in rows if WORDS in i.detail]
        assert len(noted) == 2, noted
        assert noted[0] != noted[1], noted  # the record says which one the exchange reported
    finally:
        await db.aclose()
