"""Alerts are evaluated by the engine, not by the screen (issue 11): a screen that does not pull (stuck, or
busy) still has every alert raised on time, and what it shows next is the engine's evaluated snapshot."""

from __future__ import annotations

import asyncio

from tests.feeds.harness import eventually
from tests.tui.pilot_helpers import app_for, attached
from tests.tui.scripted import Script, into_danger


async def test_alerts_are_raised_while_the_screen_does_not_pull(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        assert screen.pump is not None
        stuck = asyncio.Event()

        # The screen's timer is busy: its pull never returns.
        async def never(force: bool = False, settle: bool = True) -> None:
            await stuck.wait()

        pump_pull = screen.pump.pull
        screen.pump.pull = never  # type: ignore[assignment,method-assign]
        shown = screen.pump.latest
        into_danger(script)
        await eventually(lambda: len(script.alerts.alerts()) == 2, 10.0, "the two alerts, with no screen pull")
        assert screen.pump.latest is shown  # nothing was pulled meanwhile
        stuck.set()
        screen.pump.pull = pump_pull  # type: ignore[method-assign]
        # Back: the screen takes the engine's newest snapshot, with its alerts, at its next tick.
        await eventually(lambda: screen.pump is not None and screen.pump.latest is not shown, 10.0, "a repaint")
        assert "2 active" in str(screen.query_one("#alerts-pane").border_subtitle)
