"""The panes show the exchange's equity, the cross equity, ROE at entry margin and the hedge pair's label."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, Position, PositionMode, Side
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorSnapshot, MonitorStore
from liqwatch.tiers import TierTable
from widgets.account_rows import COLUMNS as ACCOUNT_COLUMNS
from widgets.account_rows import account_entries
from widgets.detail_lines import info_lines
from widgets.position_rows import COLUMNS as POSITION_COLUMNS
from widgets.position_rows import position_entries

BTC, SOL = "BTC/USDT:USDT", "SOL/USDT:USDT"


def _hedge_snapshot(reported: float | None = None) -> MonitorSnapshot:
    clock = FakeClock(datetime(2026, 5, 1, 12, tzinfo=UTC))
    store = MonitorStore(clock)
    spec = AccountSpec("hedge", Exchange.BINANCE, PositionMode.HEDGE)
    store.add_account(spec, risk_rules(Exchange.BINANCE))
    ch = Channel("hedge", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    flat = TierTable.flat(0.004)
    legs = (
        Position(BTC, Side.LONG, 0.3, 61_000, MarginMode.CROSS, flat, PositionMode.HEDGE, 20, mark_price=60_000),
        Position(BTC, Side.SHORT, 0.1, 59_000, MarginMode.CROSS, flat, PositionMode.HEDGE, 20, mark_price=60_000),
        Position(SOL, Side.LONG, 40, 155, MarginMode.ISOLATED, flat, PositionMode.HEDGE, 10, isolated_margin=700,
                 mark_price=150),
    )
    store.apply(AccountState(spec, 8_000, legs, exchange_margin_balance=reported))
    return store.snapshot()


def _cell(columns: tuple[object, ...], key: str) -> int:
    return next(i for i, c in enumerate(columns) if getattr(c, "key", None) == key)


def test_account_row_shows_the_total_equity_and_the_cross_equity() -> None:
    (row,) = account_entries(_hedge_snapshot())
    # 8,000 cross + 700 isolated - 400 cross PnL - 200 isolated PnL; cross: 8,000 - 400.
    assert row.cells[_cell(ACCOUNT_COLUMNS, "equity")][0] == "8,100.00"
    assert row.cells[_cell(ACCOUNT_COLUMNS, "cross")][0] == "7,600.00"


def test_hedge_legs_are_labelled_with_the_pair_and_roe_is_on_entry_margin() -> None:
    snap = _hedge_snapshot()
    rows = {e.key: e for e in position_entries(snap)}
    liq, roe = _cell(POSITION_COLUMNS, "liq"), _cell(POSITION_COLUMNS, "roe")
    assert rows[f"hedge|{BTC}|short"].cells[liq][0].endswith(" pair")
    assert rows[f"hedge|{BTC}|long"].cells[liq][0].endswith(" pair")
    assert not rows[f"hedge|{SOL}|long"].cells[liq][0].endswith("pair")
    # Short 0.1 @ 59,000 at 60,000, 20x: -100 over 295 initial margin at entry.
    assert rows[f"hedge|{BTC}|short"].cells[roe][0] == "-33.9%"
    a = snap.accounts[0]
    short = next(p for p in a.positions if p.risk.side is Side.SHORT and p.risk.symbol == BTC)
    text = "".join(t for line in info_lines(a, short, None, snap.time) for t, _ in line)
    assert "(the hedge pair's)" in text


def test_the_exchanges_equity_appears_beside_ours_when_they_differ() -> None:
    col = _cell(ACCOUNT_COLUMNS, "equity")
    (same,) = account_entries(_hedge_snapshot(reported=8_100.5))
    assert same.cells[col][0] == "8,100.00"
    (off,) = account_entries(_hedge_snapshot(reported=9_000.0))
    assert off.cells[col] == ("8.10k≠9.00k", "warning stale")
