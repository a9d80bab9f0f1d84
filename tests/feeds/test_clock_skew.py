"""Catalogue row 12, clock skew. The clock-skew alert rule existed but nothing fed it: the server-time offset
the feeds measure at each reconciliation (``ServerClock``) now reaches it through the snapshot, so a local
clock 5 s off raises it, on Binance and Hyperliquid. And a signed call answered -1021 (timestamp outside
recvWindow) re-measures the offset and is retried once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alert_runtime import AlertRuntime
from liqwatch.alerts.model import AlertEvent, EventKind
from liqwatch.clock import OffsetClock
from liqwatch.commands.snapshot_output import snapshot_json
from liqwatch.config.settings import Settings
from tests.feeds.harness import FAST, running

ACCOUNTS = ("binance-main", "hl-whale")


async def test_12_a_local_clock_5_s_ahead_raises_the_skew_alert_and_it_clears_when_set_right(tmp_path: Path) -> None:
    clock = OffsetClock()
    clock.jump_wall(5.0)  # the computer's clock 5 s ahead; the emulator keeps the true time, as an exchange
    async with running(only=ACCOUNTS, clock=clock) as env, \
            AlertRuntime(Settings(), db_path=tmp_path / "liqwatch.sqlite", clock=clock) as alerting:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store

        async def skew_events(kind: EventKind, limit_s: float) -> dict[str, AlertEvent]:
            """Snapshots handed to the alerts as `check --watch` and the app do (no skew passed), until each
            account has a clock-skew event of ``kind``; a poll with a deadline."""
            loop = asyncio.get_running_loop()
            deadline, seen = loop.time() + limit_s, {}
            while set(seen) != set(ACCOUNTS):
                if loop.time() > deadline:
                    raise AssertionError(f"no clock-skew {kind.value} within {limit_s:g} s for "
                                         f"{sorted(set(ACCOUNTS) - set(seen))}")
                for e in await alerting.on_snapshot(store.snapshot()):
                    if e.alert.key.rule is AlertRule.CLOCK_SKEW and e.kind is kind:
                        seen[e.alert.key.account] = e
                await asyncio.sleep(0.1)
            return seen

        raised = await skew_events(EventKind.RAISED, 10)
        for e in raised.values():
            assert e.alert.level is AlertLevel.WARNING
            assert e.alert.value is not None and abs(e.alert.value - 5.0) < 0.5  # local minus exchange
            assert f"local clock off the exchange's by {e.alert.value:.1f} s (limit 2.0 s)" in e.message, e.message
        measured = snapshot_json(store.snapshot())["accounts"]
        assert all(abs(a["clock_offset_s"] + 5.0) < 0.5 for a in measured)  # shown in check --json
        clock.jump_wall(-5.0)  # NTP sets it right: re-measured at the next reconciliation
        await skew_events(EventKind.CLEARED, 5 * FAST.reconcile_interval_s + 5)
        assert all(abs(a["clock_offset_s"]) < 0.5 for a in snapshot_json(store.snapshot())["accounts"])


async def test_12_a_signed_call_answered_1021_resyncs_the_server_time_and_is_retried_once() -> None:
    clock = OffsetClock()
    clock.jump_wall(5.0)  # the first signed call (before any measurement) is 5 s ahead of Binance's clock
    async with running(only=("binance-main",), clock=clock) as env:
        assert await env.monitor.wait_live(15)
        calls = [r for r in list(env.emu.requests) if r[1].startswith(("/fapi", "/sapi"))]
        rejected = [i for i, r in enumerate(calls) if r[2] == 400]
        assert len(rejected) == 1, calls[:12]  # once: the offset measured then is used for every later call
        first = rejected[0]
        path = calls[first][1]
        after = calls[first + 1:]
        time_at = next(i for i, r in enumerate(after) if r[1] == "/fapi/v1/time")
        assert (calls[first][0], path, 200) in after[time_at + 1:], after[:6]  # retried after the re-sync
        adapter = env.adapter("binance-main")
        assert abs(adapter.server_clock.offset_s + 5.0) < 0.5
