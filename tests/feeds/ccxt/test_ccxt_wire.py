"""ccxt's unified rows -> a generic account's figures (no ccxt, no network): the exchange's own fields where
liqwatch knows them (``info``), ccxt's pass-through fields labelled ccxt's elsewhere, and never a figure derived
with another exchange's formula."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from liqwatch.feeds.ccxt_wire import mark_tick, reported_balance, reported_position, settlement_currency
from liqwatch.feeds.wire import WireError
from liqwatch.model import MarginMode, Side

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
LINEAR = {"linear": True, "inverse": False, "contractSize": 1.0, "settle": "USDT",
          "limits": {"price": {"min": 0.1, "max": 1999999.8}}}


def _row(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"symbol": "BTC/USDT:USDT", "side": "long", "contracts": 0.5, "contractSize": 1.0,
                           "entryPrice": 59000.0, "markPrice": 60003.0, "notional": 30001.5, "unrealizedPnl": 501.5,
                           "leverage": 10.0, "marginMode": "cross", "liquidationPrice": 39000.0,
                           "maintenanceMargin": 1.0}
    row.update(over)
    return row


def test_binance_figures_are_read_from_its_own_answer_not_ccxts_unified_fields() -> None:
    # ccxt's unified liquidationPrice and maintenanceMargin are set apart from Binance's own (ccxt derives them
    # for its account endpoint, without cum): the info's are taken.
    info = {"liquidationPrice": "39156.62650602", "maintMargin": "120.006", "markPrice": "60003.0",
            "isolatedWallet": "0"}
    p = reported_position(_row(info=info, liquidationPrice=12345.0, maintenanceMargin=999.0), "binanceusdm", LINEAR)
    assert p is not None
    assert p.liquidation_price == pytest.approx(39156.62650602) and p.liquidation_source == "exchange"
    assert p.maintenance_margin == pytest.approx(120.006) and p.margin_mode is MarginMode.CROSS
    # Binance's "0": no price liquidates it.
    p0 = reported_position(_row(info={**info, "liquidationPrice": "0"}), "binanceusdm", LINEAR)
    assert p0 is not None and p0.liquidation_price is None


def test_bybit_liq_price_at_the_instruments_price_bound_is_none() -> None:
    info = {"liqPrice": "0.1", "positionMM": "162.1", "markPrice": "60003.0", "tradeMode": 1}
    p = reported_position(_row(info=info), "bybit", LINEAR)
    assert p is not None and p.liquidation_price is None and p.margin_mode is MarginMode.ISOLATED
    inside = reported_position(_row(info={**info, "liqPrice": "54000"}), "bybit", LINEAR)
    assert inside is not None and inside.liquidation_price == 54000.0 and inside.maintenance_margin == 162.1
    empty = reported_position(_row(info={**info, "liqPrice": ""}), "bybit", LINEAR)
    assert empty is not None and empty.liquidation_price is None


def test_okx_and_hyperliquid_fields() -> None:
    okx = reported_position(_row(contracts=100, contractSize=0.01, info={
        "liqPx": "54244.09", "mmr": "240.012", "markPx": "60003", "mgnMode": "isolated"}), "okx",
        {**LINEAR, "contractSize": 0.01})
    assert okx is not None and okx.size == pytest.approx(1.0) and okx.liquidation_price == 54244.09
    assert okx.maintenance_margin == 240.012 and okx.margin_mode is MarginMode.ISOLATED
    hl = reported_position(_row(symbol="BTC/USDC:USDC", info={"position": {
        "coin": "BTC", "liquidationPx": "44050.63", "leverage": {"type": "cross", "value": 10}}}),
        "hyperliquid", {**LINEAR, "settle": "USDC"})
    # Hyperliquid reports no maintenance margin per position: none, not ccxt's (which it leaves empty anyway).
    assert hl is not None and hl.liquidation_price == 44050.63 and hl.maintenance_margin is None


def test_an_exchange_liqwatch_does_not_know_gives_ccxts_liq_labelled_and_no_maintenance_margin() -> None:
    p = reported_position(_row(info={"whatever": 1}), "krakenfutures", LINEAR)
    assert p is not None and p.liquidation_price == 39000.0 and p.liquidation_source == "ccxt"
    assert p.maintenance_margin is None  # ccxt derives it for several exchanges: left out, never guessed


def test_rows_that_hold_nothing_or_cannot_be_read() -> None:
    assert reported_position(_row(contracts=0), "krakenfutures", LINEAR) is None
    with pytest.raises(WireError, match="side"):
        reported_position(_row(side="both"), "krakenfutures", LINEAR)
    with pytest.raises(WireError, match="not a number"):
        reported_position(_row(entryPrice="abc"), "krakenfutures", LINEAR)
    with pytest.raises(WireError, match="finite"):
        reported_position(_row(markPrice=float("nan")), "krakenfutures", LINEAR)
    with pytest.raises(WireError, match=r"boolean|not a number"):
        reported_position(_row(contracts=True), "krakenfutures", LINEAR)
    with pytest.raises(WireError, match="notional"):
        reported_position(_row(notional=1e30), "krakenfutures", LINEAR)


def test_an_inverse_contract_is_not_linear() -> None:
    p = reported_position(_row(symbol="BTC/USD:BTC"), "krakenfutures", {"inverse": True, "contractSize": 1.0})
    assert p is not None and p.linear is False and p.side is Side.LONG


def test_balances() -> None:
    binance = reported_balance({"info": {"totalMarginBalance": "12001.5", "totalWalletBalance": "11500",
                                         "totalMaintMargin": "240.006", "availableBalance": "7501.35"}},
                               "binanceusdm", "USDT")
    assert (binance.equity, binance.wallet_balance, binance.maintenance_margin, binance.available) == (
        12001.5, 11500.0, 240.006, 7501.35) and binance.source == "exchange"
    other = reported_balance({"info": {}, "total": {"USD": 5000.0}, "free": {"USD": 4000.0}}, "krakenfutures", "USD")
    assert (other.equity, other.available, other.source) == (5000.0, 4000.0, "ccxt")
    with pytest.raises(WireError, match="no total of USDT"):
        reported_balance({"total": {"USD": 1.0}}, "krakenfutures", "USDT")
    with pytest.raises(WireError, match="totalMarginBalance"):
        reported_balance({"info": {}}, "binanceusdm", "USDT")
    markets = {"BTC/USDC:USDC": {"settle": "USDC"}}
    assert settlement_currency(markets, ["BTC/USDC:USDC"], {}) == "USDC"
    assert settlement_currency(markets, [], {"USD": 1.0}) == "USD"


def test_marks() -> None:
    tick = mark_tick("ccxt:x", "BTC/USDT:USDT", {"markPrice": 60000.0, "timestamp": 1796300000000}, NOW)
    assert tick is not None and tick.mark_price == 60000.0 and not tick.by_arrival
    assert tick.stamp.exchange_time == datetime.fromtimestamp(1796300000, UTC)
    assert mark_tick("ccxt:x", "BTC/USDT:USDT", {"last": 60000.0}, NOW) is None  # a last trade is no mark
    # Hyperliquid's ticker: ccxt leaves markPrice empty; its asset context's markPx is the mark (by arrival).
    hl = mark_tick("ccxt:hyperliquid", "BTC/USDC:USDC", {"markPrice": None, "info": {"markPx": "60003.0"}}, NOW,
                   "hyperliquid")
    assert hl is not None and hl.mark_price == 60003.0 and hl.by_arrival
