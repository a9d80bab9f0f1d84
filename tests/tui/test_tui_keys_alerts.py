"""Pilot tests: acknowledge (a, A), snooze (z), alert history (h) and quit (q) with and without alerts."""

from __future__ import annotations

import pytest

from tests.tui.pilot_helpers import app_for, monitor, settle
from tests.tui.scripted import Script, into_danger
from tui.screens.alert_history import AlertHistoryScreen
from tui.screens.confirm_quit import ConfirmQuitScreen
from tui.screens.snooze import SnoozeScreen
from widgets.header_view import RiskHeader
from widgets.panes import AlertsTable


async def _with_alerts(pilot_script: Script, pilot: object) -> None:
    into_danger(pilot_script)
    await monitor(pilot).pull(force=True)  # type: ignore[arg-type]
    await settle(pilot)  # type: ignore[arg-type]


async def test_alerts_appear_worst_first_with_level_markers(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await _with_alerts(script, pilot)
        table = monitor(pilot).query_one(AlertsTable)
        levels = [table.cell_text(k, "level") for k in table.row_keys]
        assert levels[0] in ("!! CRIT", "!!! LIQ") and "! WARN" in levels
        assert all(table.cell_text(k, "state") == "NEW" for k in table.row_keys)
        # A warning neither acknowledged nor snoozed is new too, as its NEW state says.
        assert "2 active, 2 new" in str(monitor(pilot).query_one("#alerts-pane").border_subtitle)
        assert "alerts 2 (2 new)" in monitor(pilot).query_one(RiskHeader).plain


async def test_a_acknowledges_the_selected_alert(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await _with_alerts(script, pilot)
        table = monitor(pilot).query_one(AlertsTable)
        first, second = table.row_keys
        await pilot.press("a")
        await settle(pilot)
        assert table.cell_text(first, "state") == "ack"
        assert table.cell_text(second, "state") == "NEW"
        assert script.alerts._state.by_id(first).acknowledged  # type: ignore[union-attr]


async def test_shift_a_acknowledges_every_alert(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await _with_alerts(script, pilot)
        await pilot.press("A")
        await settle(pilot)
        table = monitor(pilot).query_one(AlertsTable)
        assert [table.cell_text(k, "state") for k in table.row_keys] == ["ack", "ack"]
        assert all(a.acknowledged for a in script.alerts.alerts())


async def test_a_without_alerts_says_so(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert any("No alert selected" in str(n.message) for n in pilot.app._notifications)


async def test_z_snoozes_the_selected_alert_for_the_chosen_duration(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await _with_alerts(script, pilot)
        table = monitor(pilot).query_one(AlertsTable)
        await pilot.press("j")  # the cursor is not in the alerts pane: the alerts' selection is its own
        target = table.cursor_key
        await pilot.press("z")
        await settle(pilot)
        assert isinstance(pilot.app.screen, SnoozeScreen)
        await pilot.press("2")  # 15 minutes
        await settle(pilot)
        assert not isinstance(pilot.app.screen, SnoozeScreen)
        alert = script.alerts._state.by_id(target or "")
        assert alert is not None and alert.snoozed_until is not None
        assert (alert.snoozed_until - script.clock.now()).total_seconds() == 900
        assert table.cell_text(target or "", "state") == "zz15m"


@pytest.mark.parametrize(("key", "seconds"), [("1", 300), ("3", 3600), ("4", 14400)])
async def test_each_snooze_key_picks_its_duration(script: Script, key: str, seconds: int) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await _with_alerts(script, pilot)
        target = monitor(pilot).query_one(AlertsTable).cursor_key or ""
        await pilot.press("z", key)
        await settle(pilot)
        alert = script.alerts._state.by_id(target)
        assert alert is not None and alert.snoozed_until is not None
        assert (alert.snoozed_until - script.clock.now()).total_seconds() == seconds


async def test_z_accepts_a_typed_duration_and_escape_cancels(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await _with_alerts(script, pilot)
        target = monitor(pilot).query_one(AlertsTable).cursor_key or ""
        await pilot.press("z")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, SnoozeScreen)
        assert script.alerts._state.by_id(target).snoozed_until is None  # type: ignore[union-attr]
        await pilot.press("z")
        await settle(pilot)
        await pilot.press("tab", *"90s", "enter")
        await settle(pilot)
        alert = script.alerts._state.by_id(target)
        assert alert is not None and alert.snoozed_until is not None
        assert (alert.snoozed_until - script.clock.now()).total_seconds() == 90


async def test_h_shows_this_sessions_alert_events(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await _with_alerts(script, pilot)
        await pilot.press("A")
        await pilot.press("h")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AlertHistoryScreen)
        kinds = [e.kind.value for e in screen.events]
        assert kinds.count("raised") == 2 and kinds.count("acknowledged") == 2
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, AlertHistoryScreen)


async def test_q_quits_at_once_without_alerts(script: Script) -> None:
    app = app_for(script)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert app._exit


async def test_ctrl_q_asks_too_while_alerts_are_active(script: Script) -> None:
    app = app_for(script)
    async with app.run_test(size=(160, 50)) as pilot:
        await _with_alerts(script, pilot)
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmQuitScreen) and not app._exit


async def test_q_asks_when_alerts_are_active(script: Script) -> None:
    app = app_for(script)
    async with app.run_test(size=(160, 50)) as pilot:
        await _with_alerts(script, pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmQuitScreen) and not app._exit
        assert app.screen.active == 2 and app.screen.attention == 1
        await pilot.press("n")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmQuitScreen) and not app._exit
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert not app._exit
        await pilot.press("q")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert app._exit


async def test_a_acknowledges_from_any_pane_even_with_the_alerts_folded_away(script: Script) -> None:
    async with app_for(script).run_test(size=(80, 24)) as pilot:
        await _with_alerts(script, pilot)
        assert not monitor(pilot).query_one("#alerts-pane").display  # folded: positions shown
        await pilot.press("a")
        await settle(pilot)
        assert sum(1 for a in script.alerts.alerts() if a.acknowledged) == 1
