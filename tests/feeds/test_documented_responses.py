"""Our equity and ROE against the exchanges' own documented example responses (committed under
tests/fixtures/, each with its source in its ``_source`` field)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from liqwatch.feeds.binance_wire import parse_account_margin_balance, parse_account_marks, parse_account_wallet
from liqwatch.feeds.hyperliquid_wire import parse_clearinghouse
from liqwatch.model import Exchange
from liqwatch.risk.evaluate import evaluate_account, roe_at_entry, total_margin_balance
from liqwatch.risk.registry import risk_rules

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _response(name: str) -> Any:
    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert doc["_source"].startswith(("Binance", "Hyperliquid"))  # every fixture says where it comes from
    return doc["response"]


def test_hyperliquid_docs_clearinghouse_state_equity_and_roe() -> None:
    body = _response("hyperliquid_clearinghouse_state_docs.json")
    state = parse_clearinghouse(body, {})  # the tier comes from the position's maxLeverage
    rules = risk_rules(Exchange.HYPERLIQUID)
    assert state.total_account_value == pytest.approx(13_109.482328)
    # Our equity from the response's own wallet, isolated margin and marks is marginSummary.accountValue.
    assert total_margin_balance(rules, state.wallet_balance, state.positions) == pytest.approx(13_109.482328,
                                                                                               abs=1e-6)
    acc = evaluate_account(rules, state.wallet_balance, state.positions)
    assert acc.margin_balance == pytest.approx(13_109.482328, abs=1e-6)
    assert acc.cross_margin_balance == pytest.approx(13_104.514502, abs=1e-6)  # crossMarginSummary.accountValue
    (pos,) = state.positions
    assert pos.exchange_roe == pytest.approx(-0.0026789)
    # ROE = uPnL / (entry notional / leverage): ours at the response's mark is its returnOnEquity.
    upnl = rules.unrealized_pnl(pos, pos.mark_price or 0.0)
    assert upnl == pytest.approx(-0.0134, abs=1e-9)
    assert roe_at_entry(pos, upnl) == pytest.approx(-0.0026789, abs=5e-8)
    (pr,) = acc.positions
    assert pr.roe == pytest.approx(-0.0026789, abs=5e-8) and pr.exchange_roe == pos.exchange_roe


def test_binance_docs_account_v2_equity() -> None:
    body = _response("binance_account_v2_docs.json")
    cross = parse_account_wallet(body)
    assert cross == pytest.approx(23.72469206)  # USDT only: the BUSD asset is not the settle asset
    assert parse_account_margin_balance(body) == pytest.approx(23.72469206)
    rules = risk_rules(Exchange.BINANCE)
    # No open position: totalMarginBalance = totalWalletBalance = the cross wallet.
    assert total_margin_balance(rules, cross, ()) == pytest.approx(float(body["totalMarginBalance"]))
    assert parse_account_margin_balance({"assets": []}) is None


def test_binance_account_marks_are_the_ones_its_pnl_was_computed_at() -> None:
    body = _response("binance_account_v2_docs.json")
    assert parse_account_marks(body) == {}  # the documented example holds no open position
    row = {"symbol": "ETHUSDT", "positionSide": "BOTH", "positionAmt": "-2", "entryPrice": "3000",
           "unrealizedProfit": "-200"}
    odd = {"symbol": "BTCUSDT_250627", "positionSide": "BOTH", "positionAmt": "1", "entryPrice": "1",
           "unrealizedProfit": "0"}
    assert parse_account_marks({"positions": [row, odd]}) == {("ETH/USDT:USDT", "BOTH"): 3_100.0}
