"""SVG snapshots of the main screen mid-drift at every documented size, and of the alert detail line
(issue 12). Scripted under a frozen clock, so the pictures are deterministic; review a change with
``pytest tests/tui/test_tui_layout_snapshots.py --snapshot-update`` and a look at the SVGs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from tests.tui.pilot_helpers import advance, app_for, monitor, settle
from tests.tui.scripted import BIN, BTC, ETH, HBTC, HL, Script, into_danger, scripted

Compare = Callable[..., bool]
SIZES = [(80, 24), (100, 30), (120, 34), (160, 50), (220, 60)]


async def drift(pilot: Pilot[Any], script: Script, seconds: int) -> None:
    """Prices on their way toward the 30x long's liquidation, a second at a time."""
    for i in range(seconds):
        script.mark(BIN, ETH, 2_990.0 - 8.0 * i)
        script.mark(BIN, BTC, 60_000.0 - 150.0 * i)
        script.mark(HL, HBTC, 60_010.0 - 140.0 * i)
        await advance(pilot, script, 1)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_main_screen_mid_drift(snap_compare: Compare, size: tuple[int, int]) -> None:
    script = scripted()

    async def run(pilot: Pilot[Any]) -> None:
        await drift(pilot, script, 4)

    assert snap_compare(app_for(script), terminal_size=size, run_before=run)


def test_alert_detail(snap_compare: Compare) -> None:
    script = scripted()

    async def run(pilot: Pilot[Any]) -> None:
        await drift(pilot, script, 2)
        into_danger(script)
        await advance(pilot, script, 2)
        monitor(pilot).focus_pane("alerts")
        await settle(pilot)

    assert snap_compare(app_for(script), terminal_size=(120, 34), run_before=run)


