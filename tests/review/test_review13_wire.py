"""Review of issue 13, the Bybit and OKX wire readers: a price the exchange sends that cannot be a price (a
negative mark, a negative break-even) or an amount beyond any account is refused, as Binance's readers refuse
theirs (``wire.plausible_break_even``, ``wire.plausible_amount``), never carried into a position or a balance
shown as fresh."""

from __future__ import annotations

import pytest

from liqwatch.feeds import bybit_wire, okx_wire
from liqwatch.feeds.wire import WireError

BYBIT_ROW = {"symbol": "BTCUSDT", "side": "Buy", "size": "0.2", "avgPrice": "59000", "leverage": "10",
             "positionBalance": "1180", "markPrice": "60000", "liqPrice": "", "unrealisedPnl": "200",
             "breakEvenPrice": "59050", "updatedTime": "1767254390000"}
OKX_ROW = {"instId": "BTC-USDT-SWAP", "instType": "SWAP", "pos": "-3", "avgPx": "60000", "mgnMode": "cross",
           "posSide": "net", "upl": "1.5", "liqPx": "70000", "markPx": "59990", "lever": "10", "bePx": "60010",
           "uTime": "1700000000000"}


def test_bybit_a_negative_break_even_is_refused() -> None:
    with pytest.raises(WireError):
        bybit_wire.parse_position({**BYBIT_ROW, "breakEvenPrice": "-5"})


def test_bybit_a_negative_mark_in_a_position_row_is_refused() -> None:
    with pytest.raises(WireError):
        bybit_wire.parse_position({**BYBIT_ROW, "markPrice": "-60000"})


def test_okx_a_negative_break_even_is_refused() -> None:
    with pytest.raises(WireError):
        okx_wire.parse_position({**OKX_ROW, "bePx": "-5"})


def test_okx_a_negative_mark_in_a_position_row_is_refused() -> None:
    with pytest.raises(WireError):
        okx_wire.parse_position({**OKX_ROW, "markPx": "-59990"})


def test_bybit_an_absurd_available_balance_is_refused() -> None:
    wallet = {"accountType": "UNIFIED", "totalMarginBalance": "10000", "totalPerpUPL": "0",
              "totalAvailableBalance": "1e300", "coin": []}
    with pytest.raises(WireError):
        bybit_wire.parse_wallet(wallet)


def test_bybit_a_boolean_size_is_refused() -> None:
    with pytest.raises(WireError):
        bybit_wire.parse_position({**BYBIT_ROW, "size": True})


def test_okx_a_boolean_pos_is_refused() -> None:
    with pytest.raises(WireError):
        okx_wire.parse_position({**OKX_ROW, "pos": True})


def test_bybit_a_boolean_margin_balance_is_refused() -> None:
    wallet = {"accountType": "UNIFIED", "totalMarginBalance": False, "totalPerpUPL": "0", "coin": []}
    with pytest.raises(WireError):
        bybit_wire.parse_wallet(wallet)


@pytest.mark.parametrize("field", [{"execPrice": "0"}, {"execQty": "-0.2"}, {"execPrice": "-50000"}])
def test_bybit_a_bust_trade_with_no_price_or_size_is_refused(field: dict[str, str]) -> None:
    row = {"category": "linear", "symbol": "BTCUSDT", "execType": "BustTrade", "side": "Sell", "execQty": "0.2",
           "execPrice": "50000", "execTime": "1767254390000", "execId": "e1", **field}
    with pytest.raises(WireError):
        bybit_wire.parse_bust_trades([row])
