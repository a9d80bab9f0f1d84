"""Keys the help promises: j/k scroll the help and the account detail; ``h`` lists acknowledged and snoozed
events with the others (the database-backed alerts, as the app runs them); the command palette offers one
theme entry and liqwatch's four themes; the help lists the keys in force, from the same table the
configuration checks remappings against."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from textual.containers import VerticalScroll

from liqwatch.alert_runtime import AlertRuntime
from liqwatch.config import Settings
from liqwatch.config.keys import GROUP_KEYS
from liqwatch.config.settings import StorageSettings
from liqwatch.feed_events import AccountDisabled
from liqwatch.monitor_engine import MonitorEngine
from tests.tui.pilot_helpers import app_for, monitor, settle
from tests.tui.scripted import Script, into_danger
from tui.alerts_adapter import ServiceAlerts
from tui.app import make_app
from tui.backend import Backend
from tui.bindings import GROUPS, _bindings, key_help
from tui.screens.account_info import AccountInfoScreen
from tui.screens.alert_history import AlertHistoryScreen
from tui.screens.help import HelpScreen, help_text
from tui.themes import THEMES
from widgets.keyed_table import KeyedTable
from widgets.panes import AccountsTable


def test_the_engine_key_table_is_the_apps() -> None:
    """``[ui.bindings]`` is checked against ``liqwatch.config.keys``: it must hold every key the app binds."""
    app_keys = {group: tuple((b.id, b.key) for b in _bindings(items) if b.id is not None) for group, items in GROUPS}
    assert app_keys == GROUP_KEYS


def test_help_lists_the_keys_in_force() -> None:
    text = help_text({"quit": "ctrl+q", "account_info": "f2"})
    quit_line = next(line for line in text.splitlines() if line.rstrip().endswith(" quit"))
    assert quit_line.split()[0] == "ctrl+q"
    assert next(k for k in key_help({"account_info": "f2"}) if k.id == "account_info").keys == "f2"


async def _scrolls_with_j_and_k(pilot: object, box: VerticalScroll) -> None:
    assert box.max_scroll_y > 2, "the text must overflow the box for this test"
    assert box.scroll_y == 0
    await pilot.press("j", "j", "j")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    assert box.scroll_y == 3
    await pilot.press("k")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    assert box.scroll_y == 2


async def test_j_and_k_scroll_the_help(script: Script) -> None:
    async with app_for(script).run_test(size=(100, 20)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
        await _scrolls_with_j_and_k(pilot, pilot.app.screen.query_one("#help-box", VerticalScroll))


async def test_keys_faster_than_the_refresh_each_scroll_a_line(script: Script) -> None:
    # Three j's handled before the screen refreshes (as on a loaded machine): three lines, not one.
    async with app_for(script).run_test(size=(100, 20)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, HelpScreen)
        box = screen.query_one("#help-box", VerticalScroll)
        for _ in range(3):
            screen.action_scroll_text(1)
        await settle(pilot)
        assert box.scroll_y == 3


async def test_j_and_k_scroll_the_account_detail(script: Script) -> None:
    script.store.apply(AccountDisabled("binance-main", "authentication failed: Invalid API-key (code -2015)"))
    for ch in script.channels["binance-main"]:
        ch.connecting("bootstrap failed: Cannot connect to host fapi.binance.com:443")
        ch.reconnecting("disabled: authentication failed: Invalid API-key (code -2015)")
    async with app_for(script).run_test(size=(100, 10)) as pilot:
        await settle(pilot)
        monitor(pilot).focus_pane("accounts")
        assert monitor(pilot).query_one(AccountsTable).select_key("binance-main")
        await settle(pilot)
        await pilot.press("i")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, AccountInfoScreen)
        box = screen.query_one("#account-info-box", VerticalScroll)
        await _scrolls_with_j_and_k(pilot, box)


@contextlib.asynccontextmanager
async def recorded_alerts(script: Script, tmp_path: Path) -> AsyncIterator[Backend]:
    """The alerts as the app runs them: the service over the database, not the in-memory engine."""
    db = tmp_path / "liqwatch.sqlite3"
    async with AlertRuntime(Settings(storage=StorageSettings(path=db)), clock=script.clock, db_path=db) as runtime:
        alerts = ServiceAlerts(runtime)
        yield Backend(MonitorEngine(script.store, alerts.update), alerts, "scripted")


async def test_h_lists_acknowledged_and_snoozed_events(script: Script, tmp_path: Path) -> None:
    async with recorded_alerts(script, tmp_path) as backend:
        app = make_app(backend=backend)
        async with app.run_test(size=(160, 50)) as pilot:
            await settle(pilot)
            into_danger(script)
            screen = monitor(pilot)
            await screen.pull(force=True)
            await settle(pilot)
            assert len(screen.alert_list()) >= 2
            screen.focus_pane("alerts")
            await settle(pilot)
            await pilot.press("a")
            await settle(pilot)
            await pilot.press("j", "z")
            await settle(pilot)
            await pilot.press("1")
            await settle(pilot)
            await pilot.press("h")
            await settle(pilot)
            history = pilot.app.screen
            assert isinstance(history, AlertHistoryScreen)
            table = history.query_one(KeyedTable)
            kinds = [table.cell_text(k, "kind") for k in table.row_keys]
            assert "raised" in kinds
            assert "acknowledged" in kinds and "snoozed" in kinds, kinds


async def test_the_palette_offers_one_theme_entry_and_liqwatchs_four_themes(script: Script) -> None:
    app = app_for(script)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert [t for t in titles if t.startswith("Theme")] == ["Theme (t)"]
        assert set(app.available_themes) == {t.name for t in THEMES.values()}
