"""Stale data is itself an alert: an emulator fault silences a market channel and the alert service, fed
the store's snapshots, raises a stale-feed alert that is in the record by the time it is returned."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from liqwatch.alert_runtime import AlertRuntime
from liqwatch.alerts import alert_rows
from liqwatch.config import load_settings
from tests.feeds.harness import FAST, running

#: The idle watchdog out of the way: with FAST's 1.5 s it replaced the silent socket just as its data reached
#: the alert's 1.5 s, and the new socket's data could end the staleness before a snapshot showed it (it failed
#: so in a loaded CI run). The subject here is the alert on stale data, not the reconnect.
PATIENT = replace(FAST, idle_timeout_s=30.0, ping_interval_s=10.0)


async def test_silenced_market_data_raises_a_stale_feed_alert(tmp_path: Path) -> None:
    settings = load_settings(None, environ={"LIQWATCH_ALERTS__STALE_FEED_S": "1.5"},
                             overrides={"storage": {"path": str(tmp_path / "rec.sqlite3")}})
    async with running(only=("binance-main",), options=PATIENT) as env, \
            AlertRuntime(settings, terminal=None) as alerting:
        assert await env.monitor.wait_live(15)
        await alerting.on_snapshot(env.monitor.store.snapshot())
        assert not [a for a in alerting.service.alerts() if a.key.rule == "stale_feed"]
        env.emu.faults.half_open("binance-market")  # the socket stays open and nothing arrives
        stale = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while not stale:
            assert loop.time() < deadline, "no stale-feed alert within 10 s"
            events = await alerting.on_snapshot(env.monitor.store.snapshot())
            stale = [e for e in events if e.alert.key.rule == "stale_feed"]
            await asyncio.sleep(0.05)
        assert stale[0].alert.key.account == "binance-main" and stale[0].alert.key.subject == "mark"
        assert alerting.db is not None
        logged = await alerting.db.run(alert_rows.log_entries, [stale[0].alert.id])
        assert logged and logged[0].event == "raised"
