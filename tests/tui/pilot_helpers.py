"""Driving the App in tests: start it on a script, settle, and reach the widgets."""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot

from liqwatch.config.settings import UiSettings
from tests.tui.scripted import Script
from tui.app import LiqwatchApp, make_app
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
