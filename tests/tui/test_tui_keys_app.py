"""Pilot tests: help (?), theme (t), what-if (w and its keys), the command palette, and remapped keys."""

from __future__ import annotations

import pytest
from pydantic import ValidationError
from textual.command import CommandPalette

from tests.tui.pilot_helpers import app_for, monitor, settle
from tests.tui.scripted import Script
from tui.bindings import action_ids, key_help
from tui.screens.help import HelpScreen
from tui.screens.what_if import WhatIfScreen
from widgets.keyed_table import KeyedTable
from widgets.panes import PositionsTable


async def test_question_mark_opens_help_with_every_action_and_escape_closes(script: Script) -> None:
    async with app_for(script).run_test(size=(120, 60)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, HelpScreen)
        text = str(screen.query_one("#help-text").render())
        for action in action_ids():
            assert action in text
        assert "colorblind" in text and "[ui.bindings]" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, HelpScreen)
        await pilot.press("question_mark")
        await settle(pilot)
        await pilot.press("question_mark")  # ? closes it too
        await settle(pilot)
        assert not isinstance(pilot.app.screen, HelpScreen)


async def test_t_cycles_the_four_themes(script: Script) -> None:
    async with app_for(script).run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        seen = [pilot.app.theme]
        for _ in range(4):
            await pilot.press("t")
            await settle(pilot)
            seen.append(pilot.app.theme)
        assert seen == ["liqwatch-dark", "liqwatch-light", "liqwatch-colorblind", "liqwatch-monochrome",
                        "liqwatch-dark"]


async def test_theme_setting_is_applied_and_changes_the_level_styles(script: Script) -> None:
    async with app_for(script, theme="monochrome").run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert pilot.app.theme == "liqwatch-monochrome"
        table = monitor(pilot).query_one(PositionsTable)
        critical = table.tag_style("critical")
        assert critical.reverse and critical.bold  # no colour: emphasis alone


async def test_w_opens_what_if_and_its_keys_shift_prices(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, WhatIfScreen)
        table = screen.query_one(KeyedTable)
        assert screen.shift_pct == 0 and screen.liquidated == 0
        assert "binance-degen" in table.row_keys
        await pilot.press("minus", "minus")
        assert screen.shift_pct == -2
        await pilot.press("left_square_bracket")
        assert screen.shift_pct == -12
        await settle(pilot)
        # ETH -12 %: the 30x isolated long (liquidation at 2,917) goes; nothing else does.
        assert screen.liquidated == 1
        assert table.cell_text("binance-degen|ETH/USDT:USDT|long", "status") == "XX LIQD"
        await pilot.press("0")
        assert screen.shift_pct == 0 and screen.liquidated == 0
        await pilot.press("plus", "right_square_bracket", "equals_sign")
        assert screen.shift_pct == 12
        await pilot.press("0", "n")  # every asset -> the first asset alone
        assert screen.asset == "BTC"
        await pilot.press("left_square_bracket", "left_square_bracket", "left_square_bracket")
        await settle(pilot)
        assert screen.shift_pct == -30
        assert table.cell_text("binance-degen|ETH/USDT:USDT|long", "status") == ""  # ETH not shifted
        assert "BTC by -30.0 %" in str(screen.query_one("#what-if-title").render())
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, WhatIfScreen)


async def test_command_palette_lists_every_action(script: Script) -> None:
    app = app_for(script)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for k in key_help({}):
            if k.group in ("Everywhere", "Main screen", "Tables") and k.id != "command_palette":
                assert any(t.startswith(k.description) for t in titles), k
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"what-if")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, WhatIfScreen)


async def test_bindings_remapped_in_the_config_take_effect(script: Script) -> None:
    # (not "n" for cursor_down: on the what-if screen it is the next asset's key, and would be refused)
    app = app_for(script, bindings={"what_if": "f6", "quit": "ctrl+q", "cursor_down": "x"})
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        table = monitor(pilot).query_one(PositionsTable)
        await pilot.press("w")
        await settle(pilot)
        assert not isinstance(app.screen, WhatIfScreen)  # w no longer opens it
        await pilot.press("x")
        assert table.cursor_row == 1
        await pilot.press("f6")
        await settle(pilot)
        assert isinstance(app.screen, WhatIfScreen)
        await pilot.press("escape")
        await pilot.press("q")
        await settle(pilot)
        assert not app._exit
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert app._exit


def test_unknown_action_names_in_the_config_are_refused_before_the_app_starts(script: Script) -> None:
    # Once a notice at start, now the configuration's own error (``config check`` names it too).
    with pytest.raises(ValidationError, match=r"unknown action\(s\) launch_rockets"):
        app_for(script, bindings={"launch_rockets": "x"})
