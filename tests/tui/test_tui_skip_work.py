"""The screen does only the work of what changed: a mark repaints its own cells, a snapshot that brings nothing
new paints nothing, a covered screen or a hidden pane does no table work and catches up when shown, and the
text shown after many incremental updates is the text a fresh screen shows for the same state."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

from textual.screen import Screen

from liqwatch.model import MarkTick, Stamp
from tests.tui.pilot_helpers import app_for, attached, settle
from tests.tui.scripted import BIN, ETH, HL, HSOL, Script, scripted
from tui.screens.help import HelpScreen
from tui.screens.monitor_layout import MonitorLayout
from widgets.detail_view import DetailView
from widgets.funding_view import seconds_to_next
from widgets.keyed_table import KeyedTable
from widgets.panes import ExposureTable, PositionsTable
from widgets.position_rows import position_entries, position_entry, with_countdown
from widgets.table_model import sort_entries
from widgets.text_clock import next_change
from widgets.text_lines import TextLines

SOL_ROW = "hl-iso|SOL/USDC:USDC|short"


def _painted(screen: MonitorLayout) -> tuple[int, ...]:
    """Every repaint the screen's tables and text widgets asked for or rendered."""
    tables = [(t.cells_repainted, t.rows_rendered) for t in screen.query(KeyedTable)]
    texts = [t.lines_rendered for t in screen.query(TextLines)]
    return (*(n for pair in tables for n in pair), *texts)


def _lines(table: KeyedTable) -> list[str]:
    return [table.render_line(y).text for y in range(table.size.height)]


async def test_a_changed_mark_repaints_only_the_cells_whose_text_changed(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        table = screen.query_one(PositionsTable)
        order = table.row_keys
        before = {k: table.cells(k) for k in order}
        rendered = table.rows_rendered
        table.cell_log = []
        now = script.clock.now()
        # An isolated short: its own row alone moves (its account shares no equity with another position).
        script.store.apply(MarkTick(HL, HSOL, 148.6, Stamp(now, now)))
        await screen.pull(force=True)
        await settle(pilot)
        assert table.row_keys == order  # the move is too small to reorder the rows
        shown = {c.key for c in table.shown_columns}
        changed = {(k, c.key) for k in order for c, old, new in zip(table.columns, before[k], table.cells(k),
                                                                    strict=True) if old != new and c.key in shown}
        assert {k for k, _ in changed} == {SOL_ROW}
        assert {"mark", "upnl"} <= {c for _, c in changed}
        assert set(table.cell_log) == changed  # those cells, no other
        assert len(table.cell_log) == len(changed)
        assert table.rows_rendered - rendered == 1  # one line rendered again


async def test_new_objects_of_the_same_state_repaint_nothing(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        before = _painted(screen)
        for _ in range(3):
            # A new snapshot of every view (the engine rebuilt it; the store is unchanged): text compared.
            assert await screen.pull(force=True) is not None
            await pilot.pause()
        await settle(pilot)
        assert _painted(screen) == before


async def test_the_timer_leaves_a_snapshot_of_the_same_views_unpainted_until_a_second_passes(
        script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        latest = script.engine.latest
        assert latest is not None
        paints, skipped = screen.paints, screen.skipped
        rebuilt = screen.query_one(PositionsTable).rows.accounts_rebuilt
        # As an engine that reuses unchanged views publishes: a new snapshot object, the same account views.
        script.engine.latest = replace(latest, time=latest.time + timedelta(milliseconds=300))
        await screen.tick()
        assert (screen.paints, screen.skipped) == (paints, skipped + 1)
        script.engine.latest = replace(latest, time=latest.time + timedelta(seconds=1))  # the clock's second
        await screen.tick()
        assert screen.paints == paints + 1
        # The same views again: their rows were not gone through, only the countdowns' second moved.
        positions = screen.query_one(PositionsTable)
        assert positions.rows.accounts_rebuilt - rebuilt == len(latest.accounts)
        script.engine.latest = replace(latest, time=latest.time + timedelta(seconds=1, milliseconds=500))
        await screen.tick()
        assert positions.rows.accounts_rebuilt - rebuilt == len(latest.accounts)  # within that second: none


async def test_a_covered_screen_does_no_table_work_and_catches_up_when_uncovered(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        table = screen.query_one(PositionsTable)
        # A screen that hides the main one (a dialog does not: see test_a_dialog_does_not_stop_the_screen).
        await pilot.app.push_screen(Screen())
        await settle(pilot)
        assert screen.covered()
        before, old_row = _painted(screen), table.cells(SOL_ROW)
        script.mark(HL, HSOL, 140.0)
        script.feed()
        snap = await screen.pull(force=True)
        assert snap is not None
        await settle(pilot)
        assert _painted(screen) == before and table.cells(SOL_ROW) == old_row  # nothing done behind it
        await pilot.app.pop_screen()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while table.cells(SOL_ROW) == old_row:
            assert loop.time() < deadline, "the uncovered screen never showed the snapshot it missed"
            await pilot.pause(0.01)
        fresh = {e.key: e.cells for e in position_entries(snap)}
        assert table.cells(SOL_ROW) == fresh[SOL_ROW]


async def test_a_pane_folded_away_is_left_alone_and_catches_up_when_its_tab_shows(script: Script) -> None:
    async with app_for(script).run_test(size=(80, 24)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        exposure = screen.query_one(ExposureTable)
        screen.focus_pane("exposure")
        await settle(pilot)
        screen.focus_pane("positions")
        await settle(pilot)
        assert screen.active_pane == "positions"
        old = exposure.cells("ETH")
        script.mark(BIN, ETH, 2_500.0)
        script.feed()
        await screen.pull(force=True)
        await settle(pilot)
        assert exposure.cells("ETH") == old  # the positions tab shows: the exposure pane is not worked on
        screen.focus_pane("exposure")
        await settle(pilot)
        assert exposure.cells("ETH") != old


async def test_a_dialog_does_not_stop_the_screen(script: Script) -> None:
    """Help (like every dialog) leaves the main screen in view around it: it goes on showing the newest."""
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen) and not screen.covered()
        script.mark(HL, HSOL, 140.0)
        script.feed()
        snap = await screen.pull(force=True)
        assert snap is not None
        await settle(pilot)
        fresh = {e.key: e.cells for e in position_entries(snap)}
        assert screen.query_one(PositionsTable).cells(SOL_ROW) == fresh[SOL_ROW]


def _fresh_lines(table: KeyedTable) -> list[str]:
    """Each line of the table as rendered from its rows now (no strip kept from before)."""
    table._strips.clear()
    table._header = None
    return _lines(table)


async def test_every_line_whose_text_changes_is_repainted_and_shows_a_fresh_rows_text() -> None:
    """Over marks that reorder the rows and a clock that moves the countdowns, each step's text is the rows'
    own, and every cell whose text changed lies in a region the table asked to repaint."""
    script = scripted()
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        for name in ("accounts", "exposure", "positions"):  # sorted by their first column, then by distance
            screen.focus_pane(name)
            await settle(pilot)
            if name != "positions":
                screen.action_sort_next()
        assert screen.active_pane == "positions"
        tables = list(screen.query(KeyedTable))
        asked: dict[str, list[object]] = {}
        for table in tables:
            def record(*regions: object, _id: str = str(table.id), _real=table.refresh, **kw: object) -> object:
                asked[_id].append(regions or "all")
                return _real(*regions, **kw)  # type: ignore[arg-type]
            table.refresh = record  # type: ignore[method-assign]
        for i in range(6):
            before = {t.id: _fresh_lines(t) for t in tables}
            sizes = {t.id: t.size for t in tables}
            for t in tables:
                asked[str(t.id)] = []
            script.mark(BIN, ETH, 2_990.0 - 40 * i)  # ETH falls: the 30x long nears liquidation, rows reorder
            script.mark(HL, HSOL, 148.5 + 2 * i)
            script.step(0.7)  # countdowns, ages and the clock move on
            await screen.pull(force=True)
            shown_now = {t.id: _lines(t) for t in tables}  # from the strips the table kept
            after = {t.id: _fresh_lines(t) for t in tables}
            assert shown_now == after
            for t in tables:
                if t.size != sizes[t.id]:
                    continue  # resized (an alert raised grows its pane): Textual repaints the whole table
                for y, (old, new) in enumerate(zip(before[t.id], after[t.id], strict=True)):
                    if old == new:
                        continue
                    xs = [x for x, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
                    covered = any(r == "all" or any(
                        reg.y <= y < reg.y + reg.height and reg.x <= min(xs) and max(xs) < reg.x + reg.width
                        for reg in r if hasattr(reg, "y")) for r in asked[str(t.id)])
                    assert covered, f"{t.id} line {y} changed but was not repainted: {old!r} -> {new!r}"
        snap = script.engine.latest
        assert snap is not None
        table = screen.query_one(PositionsTable)
        expected = sort_entries(position_entries(snap), table.sort_column, table.sort_reverse)
        assert table.row_keys == tuple(e.key for e in expected)
        assert [table.cells(k) for k in table.row_keys] == [e.cells for e in expected]


async def test_the_detail_shows_a_position_again_after_another_text(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        snap = screen.pump.latest if screen.pump is not None else None
        assert snap is not None
        detail = screen.query_one(DetailView)
        key = screen.query_one(PositionsTable).cursor_key
        assert key is not None
        samples = screen.pump.history.samples(key) if screen.pump is not None else ()
        detail.show(snap, key, samples)
        shown = detail.plain
        detail.show(snap, None, ())  # nothing selected: the hint
        assert detail.plain != shown
        detail.show(snap, key, samples)  # the same position, the same inputs: its lines again, not the hint
        assert detail.plain == shown


def test_a_countdown_tick_changes_one_cell_as_a_fresh_row_would() -> None:
    snap = scripted().store.snapshot()
    a = next(a for a in snap.accounts if a.name == "binance-main")
    p = a.positions[0]
    later = snap.time + timedelta(seconds=1.3)
    assert with_countdown(position_entry(a, p, snap.time), seconds_to_next(p, a.exchange, later), p.age_s) == \
        position_entry(a, p, later)


def test_the_next_change_is_the_first_phase_after_now() -> None:
    now = scripted().clock.now().replace(microsecond=250_000)
    t = now.timestamp()
    assert abs(next_change(now, ()) - (t + 0.75)) < 1e-5  # the clock's next second
    assert abs(next_change(now, {0.5}) - (t + 0.25)) < 1e-5  # an alert raised at .5 ages then
    assert abs(next_change(now, {0.25}) - (t + 0.75)) < 1e-5  # its own phase waits a second: the clock comes first
    assert next_change(now, {0.5}) < t + 0.25  # taken early, never late
