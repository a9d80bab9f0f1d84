"""What traders look for on an exchange's positions tab (issue 12): break-even and distance to liquidation
in the quote currency per position; free margin, withdrawable, notional and effective leverage per account;
a totals row per settle currency; the liquidated position kept; a detail plot longer than 10 minutes."""

from __future__ import annotations

from dataclasses import replace

from liqwatch.account_totals import totals
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import AccountSpec, AccountState, PositionUpdate, Side, Stamp
from tests.tui.pilot_helpers import app_for, monitor, settle
from tests.tui.scripted import ACCOUNTS, BIN, ETH, HL, MARKS, T0, Script, scripted
from widgets import fmt
from widgets.account_rows import TOTAL_KEY
from widgets.detail_view import DetailView
from widgets.panes import AccountsTable, PositionsTable

WIDE = (160, 50)


def test_totals_are_per_settle_currency_never_usdt_plus_usdc() -> None:
    s = scripted()
    snap = s.store.snapshot()
    by = {t.currency: t for t in totals(snap)}
    assert set(by) == {"USDT", "USDC"}
    for currency, exchange in (("USDT", BIN), ("USDC", HL)):
        views = [a for a in snap.accounts if a.exchange == exchange]
        t = by[currency]
        assert sorted(t.accounts) == sorted(a.name for a in views) and t.missing == ()
        assert t.equity == sum(a.risk.margin_balance for a in views if a.risk is not None)
        assert t.notional == sum(a.risk.notional for a in views if a.risk is not None)
        assert t.funding_today == sum(a.funding_today for a in views)
        assert t.unrealized_pnl == sum(p.risk.unrealized_pnl for a in views for p in a.positions)
    # An account without figures is named as missing from its currency's total, never silently dropped.
    s.store.disable_account("hl-iso", "API key refused")
    usdc = {t.currency: t for t in totals(s.store.snapshot())}["USDC"]
    assert usdc.accounts == ("hl-whale",) and usdc.missing == ("hl-iso",) and not usdc.fresh


async def test_accounts_pane_shows_the_new_columns_and_a_totals_row_per_currency(script: Script) -> None:
    # binance-main's exchange reports a free margin other than ours: both are shown.
    name, (exchange, wallet, positions) = "binance-main", ACCOUNTS["binance-main"]
    marked = tuple(replace(p, mark_price=MARKS[(exchange, p.symbol)]) for p in positions)
    script.store.apply(AccountState(AccountSpec(name, exchange), wallet, marked, exchange_available_balance=1_000.0,
                                    exchange_withdrawable=900.0))
    async with app_for(script).run_test(size=WIDE) as pilot:
        await monitor(pilot).pull(force=True)
        await settle(pilot)
        snap = script.store.snapshot()
        accounts = monitor(pilot).query_one(AccountsTable)
        keys = accounts.row_keys
        # Below every account, whatever their order: one row per currency.
        assert keys[-2:] == (f"{TOTAL_KEY}USDT", f"{TOTAL_KEY}USDC")
        by = {t.currency: t for t in totals(snap)}
        assert accounts.cell_text(f"{TOTAL_KEY}USDT", "name") == "total USDT"
        assert accounts.cell_text(f"{TOTAL_KEY}USDT", "equity") == fmt.money(by["USDT"].equity)
        assert accounts.cell_text(f"{TOTAL_KEY}USDC", "upnl") == fmt.money(by["USDC"].unrealized_pnl, signed=True)
        assert accounts.cell_text(f"{TOTAL_KEY}USDT", "notional") == fmt.compact(by["USDT"].notional)
        # The pane is sized for the accounts and the totals rows (and a header).
        assert accounts.size.height >= len(keys) + 1
        main = snap.account("binance-main").risk
        assert main is not None and main.available_balance is not None and main.effective_leverage is not None
        assert accounts.cell_text("binance-main", "eff_lev") == fmt.multiple(main.effective_leverage)
        assert accounts.cell_text("binance-main", "free") == (
            f"{fmt.compact(main.available_balance)}≠{fmt.compact(1_000.0)}")
        assert accounts.cell_text("binance-main", "withdraw") == fmt.money(900.0)
        whale = snap.account("hl-whale").risk
        assert whale is not None
        assert accounts.cell_text("hl-whale", "free") == fmt.money(whale.available_balance)
        assert accounts.cell_text("hl-whale", "withdraw") == fmt.NA  # none reported in this script
        # Enter on a totals row lists every account's positions.
        screen = monitor(pilot)
        screen.focus_pane("accounts")
        await pilot.press("end", "enter")
        await settle(pilot)
        assert screen.query_one(PositionsTable).account is None


async def test_positions_pane_shows_break_even_and_distance_in_quote_and_keeps_the_liquidated(
        script: Script) -> None:
    store = script.store
    degen = ACCOUNTS["binance-degen"][2][0]
    store.apply(PositionUpdate("binance-degen", degen.key, replace(degen, exchange_break_even_price=3_001.5),
                               Stamp(T0, T0)))
    store.record_liquidation(LiquidatedPosition("binance-main", ETH, Side.SHORT, 4.0, 3_300.0, T0, 4.0, -800.0))
    async with app_for(script).run_test(size=WIDE) as pilot:
        await monitor(pilot).pull(force=True)
        await settle(pilot)
        positions = monitor(pilot).query_one(PositionsTable)
        key = "binance-degen|ETH/USDT:USDT|long"
        assert positions.cell_text(key, "break_even") == "3,001.50"
        pr = next(p.risk for p in store.snapshot().account("binance-degen").positions)
        assert pr.liquidation_distance is not None and pr.liquidation_price is not None
        assert pr.liquidation_distance == (pr.mark_price - pr.liquidation_price)  # a long: the mark above it
        assert positions.cell_text(key, "liq_dist") == fmt.quote_distance(pr.liquidation_distance, pr.mark_price)
        # The liquidated short is still listed (until its alert is acknowledged), its new cells blank.
        liq = "binance-main|ETH/USDT:USDT|short liquidated"
        assert liq in positions.row_keys and positions.cell_text(liq, "status") == "XX LIQD"
        assert positions.cell_text(liq, "break_even") == "" and positions.cell_text(liq, "liq_dist") == ""


async def test_detail_plot_spans_the_seeded_candles_not_ten_minutes(script: Script) -> None:
    # What the feeds do at start: two hours of the mark's 1-minute candles, the last one running.
    now = T0.timestamp() // 60 * 60
    for (exchange, symbol), mark in MARKS.items():
        closes = [(now - 60 * (119 - i), mark * (1 + 0.001 * ((i % 7) - 3))) for i in range(120)]
        script.store.seed_volatility(exchange, symbol, closes, [])
    async with app_for(script).run_test(size=WIDE) as pilot:
        await monitor(pilot).pull(force=True)
        await settle(pilot)
        screen = monitor(pilot)
        screen.focus_pane("positions")
        await pilot.press("enter")
        await settle(pilot)
        detail = screen.query_one(DetailView)
        assert detail.key is not None
        text = detail.plain
        assert "mark: 1-minute closes, last " in text
        span = text.split("mark: 1-minute closes, last ", 1)[1].split()[0]
        minutes = int(span.split("h")[0]) * 60 + int(span.split("h")[1].rstrip("m")) if "h" in span \
            else int(span.split("m")[0])
        assert minutes > 10, span  # as many minutes as the plot has columns, far beyond 10
