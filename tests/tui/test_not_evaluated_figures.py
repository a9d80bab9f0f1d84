"""While an account holds a position not evaluated, its figures are not shown as fresh: its cross positions
are dimmed with the reason, the exchange's equity is shown beside ours, and the Exposure pane counts the
missing position's size and says "N/E", never "live"."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.clock import FakeClock
from liqwatch.commands.snapshot_output import snapshot_text
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import (
    AccountSpec,
    AccountState,
    Exchange,
    MarginMode,
    MarkTick,
    Position,
    Side,
    Stamp,
    UnevaluatedPosition,
)
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorSnapshot, MonitorStore
from liqwatch.tiers import TierTable
from widgets import account_rows, exposure_rows, position_rows
from widgets.detail_lines import info_lines

SPEC = AccountSpec("main", Exchange.BINANCE)
NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
BTC = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, TierTable.flat(0.005), leverage=10,
               mark_price=60_000.0)
SOL = Position("SOL/USDT:USDT", Side.LONG, 10.0, 145.0, MarginMode.ISOLATED, TierTable.flat(0.005), leverage=10,
               isolated_margin=145.0, mark_price=145.0)
ETH_NE = UnevaluatedPosition("ETH/USDT:USDT", Side.SHORT, 4.0, "no leverage bracket", entry_price=3050.0,
                             mark_price=3000.0, margin_mode=MarginMode.CROSS)


def snapshot(*, unevaluated: bool) -> MonitorSnapshot:
    clock = FakeClock(NOW)
    store = MonitorStore(clock)
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    ch = Channel("main", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    ch.subscribed(clock.monotonic())
    # The exchange's equity counts ETH's PnL (4 x (3050 - 3000) = +200) that ours cannot.
    store.apply(AccountState(SPEC, 10_000, (BTC, SOL), exchange_margin_balance=10_345.0,
                             unevaluated=(ETH_NE,) if unevaluated else ()))
    ch.synced(clock.monotonic())
    for sym, px in (("BTC/USDT:USDT", 60_000.0), ("SOL/USDT:USDT", 145.0), ("ETH/USDT:USDT", 3_000.0)):
        store.apply(MarkTick(Exchange.BINANCE, sym, px, Stamp(NOW, NOW)))
    ch.data(clock.monotonic())
    return store.snapshot()


def cells(entry: object, columns: tuple[object, ...]) -> dict[str, tuple[str, str]]:
    return dict(zip((c.key for c in columns), entry.cells, strict=True))  # type: ignore[attr-defined]


def test_a_cross_position_beside_one_not_evaluated_is_dimmed_with_the_reason_not_ok() -> None:
    snap = snapshot(unevaluated=True)
    rows = {e.key: cells(e, position_rows.COLUMNS) for e in position_rows.position_entries(snap)}
    btc = rows["main|BTC/USDT:USDT|long"]
    assert btc["status"][0] == "? STALE" and "stale" in btc["liq"][1] and "stale" in btc["dist"][1]
    assert btc["fresh"] == ("acct N/E", "stale")
    sol = rows["main|SOL/USDT:USDT|long"]  # isolated: its figures do not depend on ETH
    assert sol["fresh"] == ("live", "muted") and "stale" not in sol["liq"][1]
    a = snap.account("main")
    detail = " ".join(text for line in info_lines(a, a.positions[0], None, NOW) for text, _ in line)
    assert "not fresh: ETH/USDT:USDT short not evaluated" in detail
    account = cells(account_rows.account_entries(snap)[0], account_rows.COLUMNS)
    assert "stale" in account["equity"][1] and "≠" in account["equity"][0]  # ours and the exchange's
    head = next(line for line in snapshot_text(snap).splitlines() if line.startswith("main ["))
    assert "(exchange 10,345.00)" in head and "(NOT FRESH)" in head


def test_without_a_position_not_evaluated_the_same_rows_are_live() -> None:
    snap = snapshot(unevaluated=False)
    rows = {e.key: cells(e, position_rows.COLUMNS) for e in position_rows.position_entries(snap)}
    assert rows["main|BTC/USDT:USDT|long"]["fresh"] == ("live", "muted")
    assert [e.cells[-1][0] for e in exposure_rows.exposure_entries(snap)] == ["live", "live"]


def test_exposure_counts_a_position_not_evaluated_and_says_so() -> None:
    snap = snapshot(unevaluated=True)
    by_asset = {e.asset: e for e in exposure_rows.exposures(snap)}
    eth = by_asset["ETH"]
    assert eth.net_size == -4.0 and eth.short == 12_000.0 and eth.positions == 1  # at the live mark 3,000
    rows = {e.key: cells(e, exposure_rows.COLUMNS) for e in exposure_rows.exposure_entries(snap)}
    assert rows["ETH"]["fresh"] == ("N/E", "stale") and rows["ETH"]["size"][0].startswith("-4")
    assert rows["BTC"]["fresh"][0] != "live"  # cross, beside ETH: not fresh either
