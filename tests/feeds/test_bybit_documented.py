"""The Bybit wire readers against Bybit's own documented response examples (tests/fixtures/bybit_*_docs.json,
each with its source in ``_source``): payloads this project did not write."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from liqwatch.feeds.bybit_errors import BYBIT_ERRORS
from liqwatch.feeds.bybit_wire import parse_position, parse_risk_limits, parse_wallet, result_list
from liqwatch.feeds.rest_errors import AuthError
from liqwatch.feeds.wire import WireError

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _response(name: str) -> Any:
    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert doc["_source"].startswith("Bybit v5 API docs")
    return doc["response"]


def test_documented_wallet_balance() -> None:
    body = _response("bybit_wallet_balance_docs.json")
    assert BYBIT_ERRORS.decode(200, {}, body, "wallet-balance") is None  # retCode 0: a success
    (row,) = result_list(body, "wallet-balance")
    wallet = parse_wallet(row)
    assert wallet.margin_balance == pytest.approx(18070.32797922)
    assert wallet.available == pytest.approx(17887.72614237)
    assert (wallet.borrowed, wallet.accrued_interest) == (0.0, 0.0)  # no USDT coin listed: nothing borrowed
    # Bybit's own arithmetic, which the adapter's cross wallet rests on: margin balance = wallet + perp PnL.
    assert wallet.margin_balance - wallet.perp_upl == pytest.approx(float(row["totalWalletBalance"]), abs=1e-8)


def test_documented_position_row_is_not_a_linear_usdt_perpetual() -> None:
    # The documented example is an inverse BTCUSD position: the linear USDT reader refuses it, never misreads it.
    (row,) = result_list(_response("bybit_position_list_docs.json"), "position/list")
    with pytest.raises(WireError, match="not a linear USDT perpetual"):
        parse_position(row)
    linear = {**row, "symbol": "BTCUSDT"}
    w = parse_position(linear)
    assert (w.side.value if w.side else None, w.size, w.liquidation_price) == ("short", 300.0, None)  # liqPrice ""


def test_errors_with_http_200_are_errors() -> None:
    refused = {"retCode": 10003, "retMsg": "API key is invalid.", "result": {}, "retExtInfo": {}, "time": 1}
    assert isinstance(BYBIT_ERRORS.decode(200, {}, refused, "position/list"), AuthError)
    bad_sign = {**refused, "retCode": 10004, "retMsg": "error sign!"}
    assert isinstance(BYBIT_ERRORS.decode(200, {}, bad_sign, "position/list"), AuthError)


def test_documented_position_stream_frame_is_a_closed_position() -> None:
    frame = _response("bybit_ws_position_docs.json")
    (row,) = frame["data"]
    w = parse_position(row)
    # size 0 and side "": nothing held (the stream's way of saying the position closed); liqPrice "0" is none.
    assert (w.symbol, w.side, w.size, w.liquidation_price) == ("BTC/USDT:USDT", None, 0.0, None)
    opened = parse_position({**row, "side": "Buy", "size": "0.01", "entryPrice": "28000"})
    assert opened.entry_price == 28000.0  # the topic names it entryPrice (REST: avgPrice)


def test_documented_risk_limit_rates_in_percent_are_refused_not_read_as_fractions() -> None:
    # Bybit's documented risk-limit example writes its rates in percent (initialMargin "1" beside maxLeverage
    # "100.00", maintenanceMargin "0.5"); the API and the emulator send fractions (1 / maxLeverage). Read as a
    # fraction, "0.5" would be a 50 % maintenance margin rate: the symbol's tiers are refused instead, with why.
    doc = _response("bybit_risk_limit_docs.json")
    refused: dict[str, str] = {}
    assert parse_risk_limits(doc, refused) == {}
    assert refused == {"XRP/USDT:USDT": "initialMargin 1 is not 1 / maxLeverage 100 (0.01): rates in an unknown unit"}
    (row,) = doc["result"]["list"]
    as_fractions = {**doc, "result": {"list": [{**row, "initialMargin": "0.01", "maintenanceMargin": "0.005"}]}}
    tiers = parse_risk_limits(as_fractions, refused)["XRP/USDT:USDT"]
    assert tiers.tier_for(100.0).mmr == 0.005
