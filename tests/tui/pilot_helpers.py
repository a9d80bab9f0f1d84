"""Driving the App in tests: start it on a script, settle, and reach the widgets."""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot

from liqwatch.config.settings import UiSettings
from tests.tui.scripted import Script, into_danger
from tui.app import LiqwatchApp, make_app
from tui.screens.alert_history import AlertHistoryScreen
from tui.screens.monitor import MonitorScreen


def app_for(script: Script, **ui: object) -> LiqwatchApp:
    return make_app(UiSettings.model_validate(ui), backend=script.backend)


async def settle(pilot: Pilot[None]) -> None:
    await attached(pilot)
    await pilot.pause()
    await pilot.wait_for_scheduled_animations()
    await pilot.pause()


async def attached(pilot: Pilot[None]) -> MonitorScreen:
    """The main screen once it watches the script (its first pull done), within a deadline."""
    screen = monitor(pilot)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 10
    while screen.pump is None or screen.pump.latest is None:
        assert loop.time() < deadline, "the main screen never attached its backend"
        await pilot.pause(0.01)
    return screen


async def advance(pilot: Pilot[None], script: Script, seconds: int = 1, quiet: tuple[str, ...] = ()) -> None:
    """Let ``seconds`` of scripted time pass, one tick a second, pulling a snapshot after each."""
    screen = await attached(pilot)
    for _ in range(seconds):
        script.step(1.0, quiet)
        await screen.pull(force=True)
    await settle(pilot)


def monitor(pilot: Pilot[None]) -> MonitorScreen:
    app = pilot.app
    assert isinstance(app, LiqwatchApp)
    return app.monitor


async def history_after_danger(pilot: Pilot[None], script: Script) -> AlertHistoryScreen:
    """The alert history (``h``) once the script's isolated account has gone into danger and raised."""
    into_danger(script)
    await monitor(pilot).pull(force=True)
    await settle(pilot)
    await pilot.press("h")
    await settle(pilot)
    history = pilot.app.screen
    assert isinstance(history, AlertHistoryScreen) and history.events
    return history


async def info_on_account_row(pilot: Pilot[None], key: str) -> object:
    """The screen ``i`` opens on the accounts pane's row ``key`` (an account, or a totals row)."""
    from widgets.panes import AccountsTable

    screen = monitor(pilot)
    screen.focus_pane("accounts")
    assert screen.query_one(AccountsTable).select_key(key)
    await settle(pilot)
    await pilot.press("i")
    await settle(pilot)
    return pilot.app.screen
