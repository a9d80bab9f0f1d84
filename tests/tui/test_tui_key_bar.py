"""The key bar: every screen's key hints on one line, help and quit kept at any width, redrawn only on change."""

from __future__ import annotations

import pytest

from tests.tui.pilot_helpers import app_for, monitor, settle
from tests.tui.scripted import Script
from tui.screens.what_if import WhatIfScreen
from widgets.key_bar import Hint, KeyBar, fit_hints, hint_width


def _hint(action: str, description: str, key: str = "x") -> Hint:
    return Hint(key, key, description, True, action)


def test_fit_hints_drops_from_the_end_but_keeps_help_and_quit() -> None:
    hints = [_hint(f"a{i}", f"action {i}") for i in range(10)] + [_hint("help", "Help"), _hint("request_quit", "Quit")]
    keep = frozenset({"help", "request_quit"})
    for compact in (True, False):
        kept_cost = sum(hint_width(h, compact) for h in hints[-2:])
        each = hint_width(hints[0], compact)
        width = kept_cost + 3 * each + each - 1  # room for three more, not four
        shown = fit_hints(hints, width, keep, compact)
        assert [h.action for h in shown] == ["a0", "a1", "a2", "help", "request_quit"]
        assert sum(hint_width(h, compact) for h in shown) <= width
        # Wide enough: everything, in order, the kept ones last.
        assert [h.action for h in fit_hints(hints, 10_000, keep, compact)] == [h.action for h in hints]


@pytest.mark.parametrize("size", [(80, 24), (100, 30)])
async def test_help_and_quit_are_shown_at_narrow_sizes(script: Script, size: tuple[int, int]) -> None:
    async with app_for(script).run_test(size=size) as pilot:
        await settle(pilot)
        line = monitor(pilot).query_one(KeyBar).render().plain
        assert len(line) <= size[0]
        assert "? Help" in line and "q Quit" in line, line
        # And what is painted on the terminal's last row is that line.
        painted = pilot.app.export_screenshot()
        assert "Quit" in painted


async def test_the_bar_follows_the_screen_bindings_and_a_click_runs_the_key(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        main_hints = [h.description for h in monitor(pilot).query_one(KeyBar).hints]
        assert "What-if" in main_hints and "Ack" in main_hints
        bar = monitor(pilot).query_one(KeyBar)
        start = bar.render().plain.index("What-if")
        await pilot.click(KeyBar, offset=(start, 0))  # the hint's own cells
        await settle(pilot)
        assert isinstance(pilot.app.screen, WhatIfScreen)
        what_if_hints = [h.description for h in pilot.app.screen.query_one(KeyBar).hints]
        assert what_if_hints != main_hints and "+1 %" in what_if_hints


async def test_nothing_is_repainted_when_the_bindings_did_not_change(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await settle(pilot)
        bar = monitor(pilot).query_one(KeyBar)
        renders = 0
        original = bar.render

        def counting() -> object:
            nonlocal renders
            renders += 1
            return original()

        bar.render = counting  # type: ignore[method-assign]
        for _ in range(3):  # the positions table keeps the focus: the same bindings each time
            await pilot.press("j")
            await settle(pilot)
        assert renders == 0
        await pilot.resize_terminal(150, 50)  # a new width: the line is laid out again
        await settle(pilot)
        assert renders >= 1
