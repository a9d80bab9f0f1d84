"""Position activity over real sockets (issue 10): the trader (another holder of the key) opens, grows and
closes positions and changes a leverage on the emulator; the Binance adapter sees it on the user stream and
REST, and the alert service raises one INFO alert per position. The emulator on 127.0.0.1."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts import position_activity
from liqwatch.alerts.model import AlertEvent
from liqwatch.alerts.service import AlertService
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.emulator.account_records import PositionSide
from liqwatch.emulator.trading import binance_fill, binance_set_leverage
from liqwatch.storage.async_db import AsyncDatabase
from tests.feeds.harness import Env, running

ACCOUNT = "binance-main"


async def _until(env: Env, svc: AlertService, seen: list[AlertEvent], want: str, limit_s: float = 15.0) -> str:
    """Evaluate snapshots (as the app's timer does) until a position-activity event's text contains ``want``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while True:
        seen.extend(e for e in await svc.update(env.monitor.store.snapshot())
                    if e.alert.key.rule is AlertRule.POSITION_ACTIVITY)
        hit = next((e.message for e in seen if want in e.message), None)
        if hit is not None:
            return hit
        if loop.time() > deadline:
            raise AssertionError(f"no activity {want!r} within {limit_s} s; got {[e.message for e in seen]}")
        await asyncio.sleep(0.05)


@pytest.mark.slow(3)
async def test_the_traders_own_changes_raise_info_alerts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(position_activity, "GRACE_S", 1.0)  # the wait for a liquidation's fill, shortened
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    try:
        async with running(only=(ACCOUNT,)) as env:
            assert await env.monitor.wait_live(20)
            svc = AlertService(db, ThresholdMap())
            seen: list[AlertEvent] = []
            for _ in range(5):  # the baseline: nothing to report, however often it is looked at
                seen.extend(e for e in await svc.update(env.monitor.store.snapshot())
                            if e.alert.key.rule is AlertRule.POSITION_ACTIVITY)
                await asyncio.sleep(0.05)
            assert seen == []

            binance_fill(env.emu, ACCOUNT, "SOLUSDT", 20.0, 150.0)
            opened = await _until(env, svc, seen, "SOL")
            assert opened.startswith(f"{ACCOUNT}: SOL/USDT:USDT long opened 20 @ 150"), opened

            binance_fill(env.emu, ACCOUNT, "BTCUSDT", 0.25, 60_000.0)
            grown = await _until(env, svc, seen, "BTC/USDT:USDT long increased")
            assert grown.startswith(f"{ACCOUNT}: BTC/USDT:USDT long increased 0.5 → 0.75 (entry "), grown

            binance_set_leverage(env.emu, ACCOUNT, "BTCUSDT", 20)  # seen by the next REST reconciliation
            lev = await _until(env, svc, seen, "leverage")
            assert lev == f"{ACCOUNT}: BTC/USDT:USDT long leverage 10x → 20x"

            binance_fill(env.emu, ACCOUNT, "ETHUSDT", 4.0, 3000.0, PositionSide.BOTH)  # buys back the short
            closed = await _until(env, svc, seen, "ETH/USDT:USDT short closed")
            assert closed == f"{ACCOUNT}: ETH/USDT:USDT short closed (was 4)"

            active = [a for a in svc.alerts() if a.key.rule is AlertRule.POSITION_ACTIVITY]
            assert sorted(a.key.subject for a in active) == [
                "BTC/USDT:USDT long", "ETH/USDT:USDT short", "SOL/USDT:USDT long"]
            assert {a.level for a in active} == {AlertLevel.INFO}
            assert all(e.notify for e in seen)
            # Every change once: the same figures seen again raise nothing more.
            texts = [e.message for e in seen]
            assert len(texts) == len(set(texts)), texts
    finally:
        await db.aclose()


@pytest.mark.slow(12)
async def test_a_liquidation_over_the_sockets_is_not_position_activity(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's 30x ETH long of binance-degen slides into Binance's liquidation: the liquidation's alert, and
    no "closed" activity for the position it took (the account update and the fill come separately)."""
    monkeypatch.setattr(position_activity, "GRACE_S", 3.0)
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    try:
        # At 20x the slide reaches the liquidation in ~4 s of wall time (the order of the account update and
        # the fill is the emulator's, whatever the speed).
        async with running(only=("binance-degen",), speed=20.0) as env:
            assert await env.monitor.wait_live(20)
            svc = AlertService(db, ThresholdMap())
            events: list[AlertEvent] = []
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 90
            liquidated_at: float | None = None
            while liquidated_at is None or loop.time() < liquidated_at + 2 * position_activity.GRACE_S:
                assert loop.time() < deadline, [e.message for e in events]
                events.extend(await svc.update(env.monitor.store.snapshot()))
                if liquidated_at is None and any("LIQUIDATED" in e.message for e in events):
                    liquidated_at = loop.time()
                await asyncio.sleep(0.05)
            assert env.emu.liquidations, "the emulator liquidated nothing"
            assert [e.message for e in events if e.alert.key.rule is AlertRule.POSITION_ACTIVITY] == []
    finally:
        await db.aclose()
