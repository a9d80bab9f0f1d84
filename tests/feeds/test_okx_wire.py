"""OKX wire readers: positions in net and long/short mode, contract tiers (maxSz inclusive), candles, balance."""

from __future__ import annotations

import math

import pytest

from liqwatch.feeds.okx_wire import (
    TierRow,
    mmr_for,
    parse_balance,
    parse_mark_candles,
    parse_position,
    parse_positions,
)
from liqwatch.feeds.wire import WireError
from liqwatch.model import MarginMode, Side

ROW = {"instId": "BTC-USDT-SWAP", "instType": "SWAP", "pos": "-3", "avgPx": "60000", "mgnMode": "cross",
       "posSide": "net", "upl": "1.5", "liqPx": "70000", "markPx": "59990", "lever": "10", "uTime": "1700000000000"}


def test_net_and_long_short_positions() -> None:
    w = parse_position(ROW)
    assert w is not None and w.side is Side.SHORT and w.contracts == -3 and not w.hedge
    assert w.margin_mode is MarginMode.CROSS and w.liquidation_price == 70000
    long_leg = parse_position({**ROW, "pos": "2", "posSide": "long"})
    short_leg = parse_position({**ROW, "pos": "2", "posSide": "short"})
    assert long_leg is not None and long_leg.side is Side.LONG and long_leg.hedge
    assert short_leg is not None and short_leg.side is Side.SHORT and short_leg.contracts == -2
    assert parse_position({**ROW, "pos": "0"}) is None  # flat


def test_an_unreadable_row_is_set_aside_not_the_answer() -> None:
    bad: list[tuple[object, str]] = []
    rows = parse_positions([ROW, {**ROW, "mgnMode": "portfolio"}, {**ROW, "posSide": "both"}], bad)
    assert len(rows) == 1 and len(bad) == 2


def test_contract_tiers_are_inclusive_of_max_size() -> None:
    tiers = [TierRow(0, 1000, 0.005, 100), TierRow(1000.01, math.inf, 0.01, 50)]
    assert mmr_for(tiers, 1000) == 0.005 and mmr_for(tiers, -1000.5) == 0.01 and mmr_for(tiers, 1) == 0.005


def test_candles_oldest_first_and_balance() -> None:
    rows = [["1700000120000", "1", "1", "1", "3", "0"], ["1700000060000", "1", "1", "1", "2", "1"]]
    assert [(c.open_ms, c.close) for c in parse_mark_candles(rows)] == [(1700000060000, 2.0), (1700000120000, 3.0)]
    with pytest.raises(WireError):
        parse_mark_candles([["x", "1", "1", "1", "1", "1"]])
    bal = parse_balance([{"totalEq": "100", "adjEq": "", "mgnRatio": "", "mmr": "", "uTime": "1700000000000",
                          "details": [{"ccy": "USDT", "cashBal": "90", "eq": "100", "liab": "", "interest": ""}]}])
    assert bal.adj_eq is None and bal.currency("USDT") is not None and bal.currency("USDT").liab == 0.0  # type: ignore[union-attr]


def test_a_coin_margined_swap_is_read_not_dropped() -> None:
    # Not modelled (inverse), but held: read with its own symbol, so that the adapter lists it as not evaluated.
    w = parse_position({**ROW, "instId": "BTC-USD-SWAP", "ccy": "BTC"})
    assert w is not None and w.symbol == "BTC/USD:USD"
