"""Pilot tests: pane navigation, detail, filter, sort and the table keys, each asserting its effect."""

from __future__ import annotations

import pytest

from tests.tui.pilot_helpers import advance, app_for, monitor, settle
from tests.tui.scripted import Script
from tui.screens.panes import PANE_ORDER
from widgets.account_rows import TOTAL_KEY
from widgets.detail_view import DetailView
from widgets.header_view import RiskHeader
from widgets.panes import AccountsTable, PositionsTable

WIDE, NARROW = (160, 50), (80, 24)


@pytest.mark.slow(3)
@pytest.mark.parametrize("size", [WIDE, NARROW])
async def test_tab_and_shift_tab_walk_the_panes_in_order(script: Script, size: tuple[int, int]) -> None:
    async with app_for(script).run_test(size=size) as pilot:
        await settle(pilot)
        screen = monitor(pilot)
        assert screen.focused_pane() == "positions"
        start = PANE_ORDER.index("positions")
        seen = []
        for _ in PANE_ORDER:
            await pilot.press("tab")
            await settle(pilot)
            seen.append(screen.focused_pane())
            if size == NARROW:  # folded: only the active pane is shown, and the tab bar follows
                shown = [p.pane for p in screen.query(".pane") if p.display]
                assert shown == [screen.focused_pane()]
                assert screen.query_one("#pane-tabs").active == screen.focused_pane()
        assert seen == [PANE_ORDER[(start + i) % len(PANE_ORDER)] for i in range(1, len(PANE_ORDER) + 1)]
        await pilot.press("shift+tab")
        await settle(pilot)
        assert screen.focused_pane() == PANE_ORDER[start - 1]


async def test_folded_layout_below_120_columns_and_grid_above(script: Script) -> None:
    async with app_for(script).run_test(size=NARROW) as pilot:
        await settle(pilot)
        assert monitor(pilot).has_class("-folded")
        await pilot.resize_terminal(160, 50)
        await settle(pilot)
        screen = monitor(pilot)
        assert screen.has_class("-wide") and not screen.has_class("-folded")
        assert all(p.display for p in screen.query(".pane"))


async def test_j_k_and_arrows_move_the_cursor_and_the_detail_follows(script: Script) -> None:
    async with app_for(script).run_test(size=WIDE) as pilot:
        await settle(pilot)
        table = monitor(pilot).query_one(PositionsTable)
        keys = table.row_keys
        assert table.cursor_key == keys[0]
        await pilot.press("j")
        assert table.cursor_key == keys[1]
        await pilot.press("down", "down")
        assert table.cursor_key == keys[3]
        await pilot.press("k")
        assert table.cursor_key == keys[2]
        await pilot.press("up")
        await settle(pilot)
        assert table.cursor_key == keys[1]
        detail = monitor(pilot).query_one(DetailView)
        assert detail.key == keys[1]
        symbol = keys[1].split("|")[1]
        assert symbol in detail.plain


async def test_page_home_end_keys(script: Script) -> None:
    async with app_for(script).run_test(size=WIDE) as pilot:
        await settle(pilot)
        table = monitor(pilot).query_one(PositionsTable)
        last = table.row_keys[-1]
        await pilot.press("end")
        assert table.cursor_key == last
        await pilot.press("home")
        assert table.cursor_key == table.row_keys[0]
        await pilot.press("G")
        assert table.cursor_key == last
        await pilot.press("g")
        assert table.cursor_key == table.row_keys[0]
        await pilot.press("pagedown")
        assert table.cursor_key == last  # five rows fit on one page
        await pilot.press("pageup")
        assert table.cursor_key == table.row_keys[0]


async def test_left_and_right_scroll_the_columns_sideways(script: Script) -> None:
    # Only where even the columns that never give way do not fit (at 80 columns and more they all do).
    async with app_for(script).run_test(size=(40, 24)) as pilot:
        await settle(pilot)
        table = monitor(pilot).query_one(PositionsTable)
        assert table.scroll_x == 0
        await pilot.press("right", "right")
        await settle(pilot)
        assert table.scroll_x == 16
        await pilot.press("left")
        await settle(pilot)
        assert table.scroll_x == 8


async def test_enter_on_an_account_scopes_positions_then_opens_the_detail(script: Script) -> None:
    async with app_for(script).run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = monitor(pilot)
        screen.focus_pane("accounts")
        await settle(pilot)
        accounts = screen.query_one(AccountsTable)
        while accounts.cursor_key != "binance-main":
            await pilot.press("j")
        await pilot.press("enter")
        await settle(pilot)
        positions = screen.query_one(PositionsTable)
        assert screen.focused_pane() == "positions"
        assert positions.account == "binance-main"
        assert {k.split("|")[0] for k in positions.row_keys} == {"binance-main"}
        assert "binance-main" in str(screen.query_one("#positions-pane").border_subtitle)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.focused_pane() == "detail"
        assert screen.query_one(DetailView).key == positions.cursor_key
        await pilot.press("v")  # every account again
        await settle(pilot)
        assert positions.account is None and len(positions.row_keys) == 5


async def test_escape_widens_a_scoped_position_list(script: Script) -> None:
    async with app_for(script).run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = monitor(pilot)
        screen.query_one(PositionsTable).account = "hl-iso"
        screen.refresh_panes()
        assert len(screen.query_one(PositionsTable).row_keys) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert len(screen.query_one(PositionsTable).row_keys) == 5


async def test_slash_filters_positions_enter_keeps_escape_clears(script: Script) -> None:
    async with app_for(script).run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = monitor(pilot)
        screen.focus_pane("accounts")
        await pilot.press("slash")
        await settle(pilot)
        box = screen.query_one("#filter")
        assert box.display and box.has_focus
        await pilot.press(*"btc")
        await settle(pilot)
        positions = screen.query_one(PositionsTable)
        assert {k.split("|")[1] for k in positions.row_keys} == {"BTC/USDT:USDT", "BTC/USDC:USDC"}
        await pilot.press("space", *"long", "space", *"hl")
        await settle(pilot)
        assert positions.row_keys == ("hl-whale|BTC/USDC:USDC|long",)
        await pilot.press("enter")
        await settle(pilot)
        assert not box.display and positions.has_focus and positions.filter_text == "btc long hl"
        assert "filter: btc long hl" in str(screen.query_one("#positions-pane").border_subtitle)
        await pilot.press("escape")
        await settle(pilot)
        assert positions.filter_text == "" and len(positions.row_keys) == 5


async def test_s_cycles_the_sort_column_and_shift_s_reverses(script: Script) -> None:
    async with app_for(script).run_test(size=WIDE) as pilot:
        await settle(pilot)
        positions = monitor(pilot).query_one(PositionsTable)
        dists = [float(positions.cell_text(k, "dist").rstrip("%")) for k in positions.row_keys]
        assert dists == sorted(dists)  # closest to liquidation first by default
        await pilot.press("s")  # dist -> dist σ
        assert positions.columns[positions.sort_column or 0].key == "sigma"
        for _ in range(3):  # sigma -> mark -> liq -> exch liq
            await pilot.press("s")
        await pilot.press("s")  # margin
        await pilot.press("s")  # uPnL
        await settle(pilot)
        assert positions.columns[positions.sort_column or 0].key == "upnl"
        pnl = [float(positions.cell_text(k, "upnl").replace(",", "")) for k in positions.row_keys]
        assert pnl == sorted(pnl)
        await pilot.press("S")
        await settle(pilot)
        pnl = [float(positions.cell_text(k, "upnl").replace(",", "")) for k in positions.row_keys]
        assert pnl == sorted(pnl, reverse=True)
        assert "uPnL ▼" in str(monitor(pilot).query_one("#positions-pane").border_subtitle)


def _accounts_only(keys: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(k for k in keys if not k.startswith(TOTAL_KEY))


async def test_s_sorts_the_focused_pane(script: Script) -> None:
    async with app_for(script).run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = monitor(pilot)
        screen.focus_pane("accounts")
        await settle(pilot)
        accounts = screen.query_one(AccountsTable)
        ranked = _accounts_only(accounts.row_keys)
        await pilot.press("s", "s")  # status, account name (the exchange column gives way at this width)
        await settle(pilot)
        assert _accounts_only(accounts.row_keys) == tuple(sorted(ranked))
        assert accounts.row_keys[-1].startswith(TOTAL_KEY)  # the totals stay below, whatever the order
        assert ranked[0] == "binance-degen"  # the store's order: closest to liquidation first


async def test_the_panes_agree_on_the_worst_account_and_sort_by_the_other_measures(script: Script) -> None:
    # hl-iso has the higher risk (0.23 against 0.20) but binance-degen's 30x long is nearer its liquidation
    # price (2.4 % against 8.4 %): nearest first in the header, the accounts and the positions alike.
    async with app_for(script).run_test(size=WIDE) as pilot:
        await settle(pilot)
        screen = monitor(pilot)
        accounts = screen.query_one(AccountsTable)
        positions = screen.query_one(PositionsTable)
        assert "worst binance-degen" in screen.query_one(RiskHeader).plain
        assert accounts.row_keys[0] == "binance-degen" and accounts.cell_text("binance-degen", "dist") == "2.4%"
        assert positions.row_keys[0].startswith("binance-degen|")
        # Sortable by the other measures: the accounts by their worst risk (s walks the columns to it).
        screen.focus_pane("accounts")
        await settle(pilot)
        shown = [c.key for c in accounts.shown_columns]  # s walks the columns the width shows
        for _ in range(shown.index("risk") + 1):
            await pilot.press("s")
        await settle(pilot)
        risk = [c.key for c in accounts.columns].index("risk")
        assert accounts.sort_column == risk and accounts.row_keys[0] == "hl-iso"


async def test_the_detail_shows_bracket_next_bracket_and_history(script: Script) -> None:
    async with app_for(script).run_test(size=WIDE) as pilot:
        await advance(pilot, script, 5)
        screen = monitor(pilot)
        positions = screen.query_one(PositionsTable)
        positions.select_key("binance-main|BTC/USDT:USDT|long")
        await settle(pilot)
        text = screen.query_one(DetailView).plain
        assert "bracket 0–50.00k MMR 0.40%" in text
        assert "next ≥50.00k MMR 0.50%" in text
        assert "E 58,500.0" in text and "L 7," in text  # entry and liquidation lines of the plot
        assert "exch 9,950.00" in text  # the exchange's own liquidation price differs by more than 0.1 %
        assert len(screen.pump.history.samples("binance-main|BTC/USDT:USDT|long")) == 6  # type: ignore[union-attr]


async def test_quick_successive_tabs_each_move_one_pane(script: Script) -> None:
    async with app_for(script).run_test(size=NARROW) as pilot:
        await settle(pilot)
        await pilot.press("tab", "tab", "tab")  # no pause: focus has not settled between them
        await settle(pilot)
        screen = monitor(pilot)
        assert screen.focused_pane() == "exposure"
        assert screen.query_one("#exposure").has_focus


async def test_a_click_on_a_pane_makes_it_the_active_one(script: Script) -> None:
    async with app_for(script).run_test(size=WIDE) as pilot:
        await settle(pilot)
        await pilot.click("#accounts", offset=(5, 2))
        await settle(pilot)
        screen = monitor(pilot)
        assert screen.focused_pane() == "accounts"
        await pilot.press("tab")
        await settle(pilot)
        assert screen.focused_pane() == "positions"
