"""SVG snapshots (pytest-textual-snapshot): the main screen at 80×24 and 160×50, help, alerts, a stale feed.

Every state is reached by scripted events under a frozen clock (header clock included), so the pictures
are deterministic. Review any change: ``pytest tests/tui --snapshot-update``, then look at the SVGs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from tests.tui.pilot_helpers import advance, app_for, monitor, settle
from tests.tui.scripted import into_danger, scripted
from widgets.panes import AlertsTable

Compare = Callable[..., bool]


def _history(seconds: int) -> Callable[[Pilot[Any]], Awaitable[None]]:
    script = scripted()

    async def run(pilot: Pilot[Any]) -> None:
        await advance(pilot, script, seconds)

    run.script = script  # type: ignore[attr-defined]
    return run


def test_main_screen_80x24(snap_compare: Compare) -> None:
    before = _history(5)
    assert snap_compare(app_for(before.script), terminal_size=(80, 24), run_before=before)  # type: ignore[attr-defined]


def test_main_screen_160x50(snap_compare: Compare) -> None:
    before = _history(5)
    assert snap_compare(app_for(before.script), terminal_size=(160, 50), run_before=before)  # type: ignore[attr-defined]


def test_help_screen(snap_compare: Compare) -> None:
    before = _history(1)
    assert snap_compare(app_for(before.script), terminal_size=(100, 50), press=["question_mark"],  # type: ignore[attr-defined]
                        run_before=before)


def test_state_with_alerts(snap_compare: Compare) -> None:
    script = scripted()

    async def run(pilot: Pilot[Any]) -> None:
        await advance(pilot, script, 3)
        into_danger(script)
        await advance(pilot, script, 2)
        screen = monitor(pilot)
        table = screen.query_one(AlertsTable)
        table.action_cursor_down()  # acknowledge the warning, leave the critical one new
        await pilot.press("a")
        table.action_cursor_top()
        await advance(pilot, script, 1)
        await settle(pilot)

    assert snap_compare(app_for(script), terminal_size=(160, 50), run_before=run)


def test_state_with_a_stale_feed(snap_compare: Compare) -> None:
    script = scripted()

    async def run(pilot: Pilot[Any]) -> None:
        await advance(pilot, script, 3)
        await advance(pilot, script, 12, quiet=("hl-whale",))

    assert snap_compare(app_for(script), terminal_size=(160, 50), run_before=run)
