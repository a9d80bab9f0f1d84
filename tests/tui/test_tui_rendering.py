"""Rendering economy: a pane repaints only the rows whose text changed, and nothing when nothing did."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.model import MarkTick, Stamp
from tests.tui.pilot_helpers import app_for, attached, settle
from tests.tui.scripted import BIN, BTC, Script
from tui.backend import Backend
from tui.screens.monitor_layout import MonitorLayout
from widgets.header_view import RiskHeader
from widgets.panes import AccountsTable, ExposureTable, PositionsTable


def _counters(screen: object) -> tuple[int, ...]:
    q = screen.query_one  # type: ignore[attr-defined]
    return (q(PositionsTable).rows_rendered, q(AccountsTable).rows_rendered, q(ExposureTable).rows_rendered,
            q(RiskHeader).lines_rendered)


async def test_nothing_is_repainted_when_nothing_changed(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        before = _counters(screen)
        for _ in range(5):
            snap = await screen.pull(force=True)  # the same frozen state, pulled again
            assert snap is not None
            assert screen.query_one(PositionsTable).show(snap) == 0
            await pilot.pause()
        await settle(pilot)
        assert _counters(screen) == before


async def test_the_timer_skips_pulls_while_the_store_is_unchanged(script: Script) -> None:
    async with app_for(script, refresh_hz=10).run_test(size=(80, 24)) as pilot:
        screen = await attached(pilot)
        assert screen.pump is not None
        pulls = screen.pump.pulls
        await pilot.pause(0.35)  # three or four timer ticks, within the one-second idle re-pull
        assert screen.pump.pulls - pulls <= 1
        script.mark(BIN, BTC, 60_100.0)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while screen.pump.latest is None or screen.pump.latest.version != script.store.version:
            assert loop.time() < deadline, "the timer never pulled the changed store"
            await pilot.pause(0.05)


async def test_a_mark_tick_repaints_only_the_rows_it_changes(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        table = screen.query_one(PositionsTable)
        cells = {k: table.cells(k) for k in table.row_keys}
        rendered = table.rows_rendered
        now = script.clock.now()
        # Same timestamp, new price: only this account's rows may change (a cross account shares equity).
        script.store.apply(MarkTick(BIN, BTC, 61_000.0, Stamp(now, now)))
        await screen.pull(force=True)
        await settle(pilot)
        changed = {k for k in table.row_keys if table.cells(k) != cells[k]}
        assert changed == {"binance-main|BTC/USDT:USDT|long", "binance-main|ETH/USDT:USDT|short"}
        assert table.rows_rendered - rendered == len(changed)


async def test_a_stale_feed_dims_its_rows_and_shows_the_age(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        for _ in range(8):
            script.step(1.0, quiet=("hl-iso",))
            await screen.pull(force=True)
        await settle(pilot)
        table = screen.query_one(PositionsTable)
        key = "hl-iso|SOL/USDC:USDC|short"
        row = table.cells(key)
        assert table.cell_text(key, "status") == "? STALE"
        assert table.cell_text(key, "fresh") == "old 8s"
        assert all("stale" in tags.split() for text, tags in row if text and tags)
        accounts = screen.query_one(AccountsTable)
        assert accounts.cell_text("hl-iso", "fresh") == "STALE 8s"
        assert "hl-iso STALE 8s" in "".join(t for line in screen.query_one(RiskHeader).lines for t, _ in line)
        fresh = table.cells("binance-main|BTC/USDT:USDT|long")
        assert not any("stale" in tags.split() for _, tags in fresh)


async def test_the_main_screen_mounts_once_with_one_pull_timer(script: Script,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual calls each class's own ``on_mount`` along the MRO: a subclass's that also called ``super()``
    ran the screen's mount twice (two 4 Hz pull timers, each pulling and repainting, a second pump)."""
    attaches: list[object] = []
    real_attach = MonitorLayout.attach

    def counted_attach(self: MonitorLayout, backend: Backend) -> None:
        attaches.append(backend)
        real_attach(self, backend)

    monkeypatch.setattr(MonitorLayout, "attach", counted_attach)
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        assert attaches == [script.backend]
        pull_timers = [t for t in screen._timers if t.name == "snapshot-pull"]  # Textual keeps no public list
        assert len(pull_timers) == 1
