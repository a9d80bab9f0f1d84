"""Review 2 of issue 11: the App (80x24, run_test and Pilot) on the engine, when the alerts' evaluation never
returns (their SQLite write waits on a locked database). The screen's first paint asks the engine for a build
(``pull(force=True)`` -> ``MonitorEngine.step(force=True)``), which evaluates the alerts under the engine's lock
before it returns: the screen waits on the alerts it was meant to be independent of."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.store import MonitorSnapshot
from tests.feeds.harness import eventually
from tests.tui.pilot_helpers import app_for, monitor
from tests.tui.scripted import Script, scripted


@pytest.fixture
def script() -> Script:
    return scripted()


async def test_the_screen_shows_and_follows_the_store_while_the_alerts_are_stuck(script: Script) -> None:
    release = asyncio.Event()

    async def stuck(snap: MonitorSnapshot) -> None:
        await release.wait()  # the alert record's write waits on a locked database

    script.engine.evaluate = stuck
    released_by_deadline = False

    async def deadline() -> None:
        # The bound of the test: the alerts are let go after 8 s, whether or not the screen got on without them.
        nonlocal released_by_deadline
        await asyncio.sleep(8.0)
        released_by_deadline = True
        release.set()

    guard = asyncio.create_task(deadline())
    try:
        async with asyncio.timeout(30), app_for(script).run_test(size=(80, 24)) as pilot:
            assert not released_by_deadline, "the App got through its first paint only once the alerts were let go"
            screen = monitor(pilot)
            await eventually(lambda: screen.pump is not None and screen.pump.latest is not None, 5.0,
                             "a first snapshot on the screen")
            assert screen.pump is not None and screen.pump.latest is not None
            shown = screen.pump.latest.version
            script.step(1.0)
            await eventually(lambda: screen.pump is not None and screen.pump.latest is not None
                             and screen.pump.latest.version > shown, 5.0, "the screen following the store")
            assert not released_by_deadline
            release.set()
    finally:
        release.set()
        guard.cancel()
