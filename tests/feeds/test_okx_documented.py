"""The OKX wire readers against OKX's own documented response examples (tests/fixtures/okx_*_docs.json, each
with its source in ``_source``): payloads this project did not write.

OKX documents no USDT-margined swap position: its Get positions example is a spot-margin BTC-USDT position
(instType MARGIN), its positions-channel push holds an ETH-USD-210430 expiry future and an ETH-USD-SWAP
coin-margined swap, both isolated. None is a position this monitor evaluates (USDT-margined swaps), so no OKX
liquidation price of the docs can be matched by ours; what the examples can show is that each is read for
what it is, never misread as a USDT position."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from liqwatch.feeds.okx_wire import parse_balance, parse_positions, usdt_equity
from liqwatch.model import MarginMode, Side

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def _response(name: str) -> Any:
    doc = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    assert doc["_source"].startswith("OKX v5 API docs")
    return doc["response"]


def test_documented_rest_position_is_spot_margin_not_a_swap() -> None:
    body = _response("okx_positions_docs.json")
    assert body["code"] == "0"
    bad: list[tuple[Any, str]] = []
    # A MARGIN position (borrowed USDT against BTC) is no swap: skipped, not counted as an unreadable row.
    assert parse_positions(body["data"], bad) == [] and bad == []


def test_documented_positions_push_reads_the_coin_margined_swap_for_what_it_is() -> None:
    push = _response("okx_ws_positions_docs.json")
    assert (push["arg"]["channel"], push["eventType"]) == ("positions", "snapshot")
    bad: list[tuple[Any, str]] = []
    (w,) = parse_positions(push["data"], bad)  # the FUTURES row is no swap: skipped
    assert bad == []
    assert (w.inst_id, w.symbol, w.side, w.contracts) == ("ETH-USD-SWAP", "ETH/USD:USD", Side.LONG, 1.0)
    assert (w.entry_price, w.mark_price, w.liquidation_price) == (2566.31, 2353.849, 2352.8496681818233)
    assert w.margin_mode is MarginMode.ISOLATED and w.isolated_margin == pytest.approx(0.0003896645377994)


def test_a_coin_margined_positions_margin_is_not_added_to_usdt_equity() -> None:
    # OKX's documented balance (adjEq 55415.62 USD, USDT eq 4992.89) beside its documented coin-margined swap:
    # that position's isolated margin and uPnL are ETH (0.00039, -0.000001), not USDT, and stay out of the
    # USDT figures. Before, they were summed in: the exchange's equity read adjEq + 0.0003887 "USDT".
    balance = parse_balance(_response("okx_balance_docs.json")["data"])
    wires = parse_positions(_response("okx_ws_positions_docs.json")["data"], [])
    assert usdt_equity(balance, wires) == (pytest.approx(55415.624719833286, abs=0, rel=1e-15), 0.0, 0.0)
    without_adj = parse_balance([{**_response("okx_balance_docs.json")["data"][0], "adjEq": ""}])
    assert usdt_equity(without_adj, wires)[0] == pytest.approx(4992.890093622894, abs=0, rel=1e-15)  # USDT eq
