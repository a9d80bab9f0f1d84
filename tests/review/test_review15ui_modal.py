"""Review of the screen's skip work (issue 15, branch ``ui``): a dialog does not hide the main screen.

Every screen the App opens over the main one is a ``ModalScreen`` (help, the quit question, snooze, what-if,
the alert history, the account detail): the main screen shows around it and through its dimmed background,
the header's clock, alert count and funding countdown included. The branch stopped painting the main screen
while any of them was open, so what showed there froze: the clock, the marks, a row's "live", an alert's age,
the count of new alerts, for as long as the dialog stayed open (seen in ``liqwatch demo``: behind the quit
question the clock stood still for as long as it was asked).
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from liqwatch.model import MarkTick, Stamp
from tests.review.review15ui_term import Terminal
from tests.tui.pilot_helpers import app_for, attached, settle
from tests.tui.scripted import BIN, ETH, HL, HSOL, Script, into_danger, scripted
from tui.screens.confirm_quit import ConfirmQuitScreen
from tui.screens.help import HelpScreen
from widgets.header_lines import header_lines
from widgets.header_view import RiskHeader
from widgets.panes import PositionsTable
from widgets.position_rows import position_entries
from widgets.table_model import sort_entries

SOL_ROW = "hl-iso|SOL/USDC:USDC|short"


async def _open(pilot: Pilot[None], script: Script, which: str) -> None:
    if which == "help":
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(pilot.app.screen, HelpScreen)
    else:
        into_danger(script)  # alerts active: q asks first
        await (await attached(pilot)).pull(force=True)
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ConfirmQuitScreen)


@pytest.mark.parametrize("which", ["help", "quit"])
async def test_the_main_screen_under_a_dialog_shows_the_newest_snapshot(which: str) -> None:
    script = scripted()
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        term = Terminal(pilot.app)
        await _open(pilot, script, which)
        for i in range(3):
            script.mark(HL, HSOL, 140.0 + 3 * i)
            script.mark(BIN, ETH, 2_990.0 - 5 * i)
            script.step(1.0)  # the clock, the countdowns and the alerts' ages move on
            snap = await screen.pull(force=True)
            assert snap is not None
            await settle(pilot)
            header = screen.query_one(RiskHeader)
            want = header_lines(snap, screen.alert_list(), header.size.width, header.label, screen.record_status())
            assert header.lines == tuple(want), "the header under the dialog froze"
            table = screen.query_one(PositionsTable)
            fresh = {e.key: e.cells for e in sort_entries(position_entries(snap), table.sort_column)}
            assert table.cells(SOL_ROW) == fresh[SOL_ROW], "the positions under the dialog froze"
            # What the terminal shows: the header's clock (not covered by the dialog) is the snapshot's.
            assert f"{snap.time:%Y-%m-%d %H:%M:%S} UTC" in term.text()[0]


async def test_a_dialog_closed_leaves_the_newest_rows() -> None:
    script = scripted()
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        await settle(pilot)
        await _open(pilot, script, "help")
        now = script.clock.now()
        script.store.apply(MarkTick(HL, HSOL, 139.0, Stamp(now, now)))
        snap = await screen.pull(force=True)
        assert snap is not None
        await pilot.press("escape")
        await settle(pilot)
        table = screen.query_one(PositionsTable)
        fresh = {e.key: e.cells for e in position_entries(snap)}
        assert table.cells(SOL_ROW) == fresh[SOL_ROW]
