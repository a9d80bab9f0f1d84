"""The LIQUIDATED row: a liquidated position stays in the positions pane, and its account reads XX LIQD,
until the liquidation is released (its alert acknowledged)."""

from __future__ import annotations

from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import PositionUpdate, Side, Stamp
from liqwatch.status import Status
from tests.tui.pilot_helpers import app_for, monitor, settle
from tests.tui.scripted import ETH, T0, Script, scripted
from widgets.account_rows import account_entries
from widgets.panes import AlertsTable, PositionsTable
from widgets.position_rows import position_entries


def test_a_liquidated_position_is_listed_until_released() -> None:
    s = scripted()
    store = s.store
    store.apply(PositionUpdate("binance-degen", (ETH, Side.LONG), None, Stamp(T0, T0)))
    store.record_liquidation(LiquidatedPosition("binance-degen", ETH, Side.LONG, 10.0, 2_915.5, T0, 10.0, -1_000.0))
    snap = store.snapshot()
    rows = {e.key: e for e in position_entries(snap, "binance-degen")}
    row = rows["binance-degen|ETH/USDT:USDT|long liquidated"]
    assert row.cells[3][0] == "XX LIQD" and row.cells[4][0] == "LIQUIDATED"
    assert row.cells[6][0] == "2,915.50" and row.cells[10][0].startswith("-1,000") and row.cells[12][0] == "-10"
    accounts = {e.key: e for e in account_entries(snap)}
    assert accounts["binance-degen"].cells[0] == ("XX LIQD", "critical")
    assert snap.account("binance-degen").status is Status.CRITICAL

    assert store.release_liquidation("binance-degen", ETH, Side.LONG)
    snap = store.snapshot()
    assert not position_entries(snap, "binance-degen")
    assert {e.key: e for e in account_entries(snap)}["binance-degen"].cells[0][0] != "XX LIQD"


def test_a_partial_liquidation_row_says_partial_with_the_size_taken() -> None:
    s = scripted()
    s.store.record_liquidation(LiquidatedPosition("binance-degen", ETH, Side.LONG, 4.0, 2_925.5, T0, 10.0, -300.0,
                                                  partial=True))
    rows = {e.key: e for e in position_entries(s.store.snapshot(), "binance-degen")}
    row = rows["binance-degen|ETH/USDT:USDT|long liquidated"]
    assert row.cells[4][0] == "PARTIAL" and row.cells[12][0] == "-4/10"
    assert "binance-degen|ETH/USDT:USDT|long" in rows  # what is left of it is still open, and shown


async def test_a_on_the_liquidation_alert_releases_the_liquidated_row(script: Script) -> None:
    store = script.store
    store.apply(PositionUpdate("binance-degen", (ETH, Side.LONG), None, Stamp(T0, T0)))
    store.record_liquidation(LiquidatedPosition("binance-degen", ETH, Side.LONG, 10.0, 2_915.5, T0, 10.0, -1_000.0))
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        await monitor(pilot).pull(force=True)
        await settle(pilot)
        positions = monitor(pilot).query_one(PositionsTable)
        key = "binance-degen|ETH/USDT:USDT|long liquidated"
        assert key in positions.row_keys and positions.cell_text(key, "status") == "XX LIQD"
        alerts = monitor(pilot).query_one(AlertsTable)
        (alert_key,) = alerts.row_keys
        assert "LIQUIDATED" in alerts.cell_text(alert_key, "message")
        await pilot.press("a")
        await monitor(pilot).pull(force=True)
        await settle(pilot)
        assert key not in positions.row_keys
        assert store.snapshot().account("binance-degen").status is not Status.CRITICAL
