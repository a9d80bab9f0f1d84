"""Review of issue 12, the screens: what a trader reads at 80x24 .. 220x60 (tmux against the demo, then
reproduced here on the scripted store)."""

from __future__ import annotations

import dataclasses

import pytest
from rich.text import Text

from liqwatch.account_totals import Totals
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import AccountSpec, Exchange, PositionUpdate, Side, Stamp
from liqwatch.risk.registry import risk_rules
from tests.tui.pilot_helpers import advance, app_for, history_after_danger, info_on_account_row, monitor, settle
from tests.tui.scripted import BIN, ETH, T0, Script, into_danger, scripted
from tui.screens.account_info import AccountInfoScreen
from widgets.account_info import account_info_text
from widgets.account_rows import account_entries, total_entry
from widgets.alert_detail import AlertDetail
from widgets.header_lines import header_lines
from widgets.keyed_table import KeyedTable
from widgets.panes import AccountsTable, PositionsTable
from widgets.position_rows import COLUMNS as POSITION_COLUMNS
from widgets.position_rows import position_entries


@pytest.fixture
def script() -> Script:
    return scripted()


def _shown(table: AccountsTable | PositionsTable) -> tuple[str, ...]:
    return tuple(c.key for c in table.shown_columns)


async def test_columns_stay_put_while_a_mark_moves_3_percent(script: Script) -> None:
    """In the demo at 160x50 the positions pane swapped its last column every few seconds as the ETH mark
    drifted; the trader's eye loses the column it was reading."""
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await advance(pilot, script, 1)
        screen = monitor(pilot)
        positions, accounts = screen.query_one(PositionsTable), screen.query_one(AccountsTable)
        before = (_shown(positions), _shown(accounts))
        script.mark(BIN, ETH, 2_900.0)  # from 2,990: the 30x long's uPnL gains a digit
        await advance(pilot, script, 1)
        moved = (_shown(positions), _shown(accounts))
        script.mark(BIN, ETH, 2_990.0)
        await advance(pilot, script, 1)
        back = (_shown(positions), _shown(accounts))
        assert back == before  # the layout is a function of the figures' widths ...
        assert moved == before, (set(before[0]) ^ set(moved[0]), set(before[1]) ^ set(moved[1]))  # ... and flips


def test_a_total_over_no_account_is_not_zero() -> None:
    """With every Binance account waiting (exchange unreachable) the accounts pane showed
    'total USDT 0.00 ... 3 missing': zero equity is a figure, and a wrong one."""
    t = Totals("USDT", accounts=(), missing=("bn-dead", "bn-nokey", "bn-off"), equity=0.0, unrealized_pnl=0.0,
               funding_today=0.0, notional=0.0, fresh=False)
    cells = total_entry(t).cells
    equity, upnl = cells[3][0], cells[8][0]
    assert equity not in ("0.00", "0") and upnl not in ("+0.00", "0.00"), (equity, upnl)


async def test_withdrawable_is_readable_somewhere_at_220x60(script: Script) -> None:
    async with app_for(script).run_test(size=(220, 60)) as pilot:
        await advance(pilot, script, 1)
        screen = monitor(pilot)
        screen.focus_pane("accounts")
        await settle(pilot)
        in_pane = "withdraw" in _shown(screen.query_one(AccountsTable))
        snap = script.store.snapshot()
        in_detail = any("withdraw" in account_info_text(a, snap.time).lower() for a in snap.accounts)
        assert in_pane or in_detail


def _liquidated() -> Script:
    s = scripted()
    s.store.apply(PositionUpdate("binance-degen", (ETH, Side.LONG), None, Stamp(T0, T0)))
    s.store.record_liquidation(LiquidatedPosition("binance-degen", ETH, Side.LONG, 10.0, 2_915.5, T0, 10.0,
                                                  -1_000.0))
    return s


def test_a_liquidated_account_does_not_read_risk_zero() -> None:
    snap = _liquidated().store.snapshot()
    top = "".join(text for text, _ in header_lines(snap, [], 160)[0])
    assert "binance-degen XX LIQD" in top
    row = {e.key: e for e in account_entries(snap)}["binance-degen"]
    risk_cell = row.cells[7][0]
    assert "risk 0.00" not in top and not risk_cell.endswith(" 0.00"), (top, risk_cell)


@pytest.mark.parametrize("size", [(80, 24), (120, 34)], ids=["80x24", "120x34"])
async def test_history_says_what_each_event_is_about(script: Script, size: tuple[int, int]) -> None:
    async with app_for(script).run_test(size=size) as pilot:
        history = await history_after_danger(pilot, script)
        table = history.query_one(KeyedTable)
        text = "\n".join(table.render_line(y).text for y in range(1, 1 + len(history.events)))
        assert "binance-degen" in text, text


@pytest.mark.parametrize("record,behind", [("failed", None), ("ok", 75.0), ("failed", 75.0)],
                         ids=["not-recording", "alerts-behind", "both"])
async def test_the_header_never_ends_in_a_cut_label_at_80(record: str, behind: float | None) -> None:
    """The full disk is exactly when a trader must still read how many alerts are open."""
    s = scripted()
    into_danger(s)
    snap = s.store.snapshot()
    await s.alerts.update(snap)
    alerts = s.alerts.alerts()
    assert len(alerts) == 2
    top = "".join(text for text, _ in header_lines(dataclasses.replace(snap, alerts_behind_s=behind), alerts,
                                                   80, "", record=record)[0])
    assert "…" not in top, top  # a part gives way whole, or takes a shorter form; never cut
    if record == "ok" or behind is None:  # one marker: room enough for the count of open alerts
        assert "alerts 2" in top, top


def _decimals(text: str) -> int:
    return len(text.split(".", 1)[1]) if "." in text else 0


def test_liq_dist_in_quote_has_no_more_decimals_than_its_prices() -> None:
    s = scripted()
    s.mark(BIN, ETH, 2_988.2169)  # the demo's 30x ETH long at the moment it read 72.5569
    s.feed()
    rows = {e.key: e for e in position_entries(s.store.snapshot(), None)}
    keys = [c.key for c in POSITION_COLUMNS]
    bad = []
    for key, row in rows.items():
        mark, liq, dist = (row.cells[keys.index(k)][0] for k in ("mark", "liq", "liq_dist"))
        if dist not in ("", "—") and _decimals(dist) > max(_decimals(mark), _decimals(liq.split()[0])):
            bad.append((key, mark, liq, dist))
    assert bad == []


# What the demo's unreachable exchange puts in a feed alert (tmux, a config pointing at 127.0.0.1:9).
BOOTSTRAP = ("bootstrap failed: GET http://127.0.0.1:9/sapi/v1/account/apiRestrictions?timestamp=1796187156627"
             "&recvWindow=5000&signature=***: Cannot connect to host 127.0.0.1:9 ssl:default "
             "[Connect call failed ('127.0.0.1', 9)]")


async def test_the_selected_feed_alerts_cause_is_readable_at_120x34(script: Script) -> None:
    for ch in script.channels["binance-main"]:
        ch.connecting(BOOTSTRAP)
    async with app_for(script).run_test(size=(120, 34)) as pilot:
        await advance(pilot, script, 40, quiet=("binance-main",))
        screen = monitor(pilot)
        screen.focus_pane("alerts")
        await settle(pilot)
        detail = screen.query_one(AlertDetail)
        assert "Cannot connect to host" in detail.text, detail.text  # the alert carries the cause ...
        width, height = detail.content_region.width, detail.content_region.height
        lines = Text(detail.text).wrap(pilot.app.console, width)
        shown = "".join(line.plain for line in list(lines)[:height])
        assert "Connect call failed" in shown, (height, len(lines))  # ... and the trader can read it


async def test_i_on_a_totals_row_does_not_open_another_currencys_account(script: Script) -> None:
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await advance(pilot, script, 1)
        opened = await info_on_account_row(pilot, " total USDC")
        if isinstance(opened, AccountInfoScreen):
            assert opened.account in ("hl-whale", "hl-iso"), opened.account


def test_the_feeds_summary_names_the_never_connected_account_first() -> None:
    s = scripted()
    spec = AccountSpec("binance-testnet-1", Exchange.BINANCE)
    s.store.add_account(spec, risk_rules(Exchange.BINANCE))
    mono = s.clock.monotonic()
    for kind, channel, limit in ((ChannelKind.MARKET, "mark", 5.0), (ChannelKind.QUIET, "user", 60.0)):
        ch = Channel(spec.name, channel, kind, limit)
        s.store.add_channel(ch)
        ch.subscribed(mono)
        ch.connecting("bootstrap failed: Cannot connect to host fapi.binance.com:443")
    s.step(300.0)  # five minutes without a byte from it
    for ch in s.channels["hl-iso"]:
        ch.reconnecting("socket closed")
    s.step(2.0, quiet=("hl-iso",))  # a blip: two seconds
    feeds = "".join(text for text, _ in header_lines(s.store.snapshot(), [], 80)[1])
    assert "binance-testnet-1 CONNECTING" in feeds, feeds
