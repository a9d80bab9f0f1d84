"""The incremental account book agrees with a full recompute, tick after tick."""

from __future__ import annotations

import math
import random

import pytest

from liqwatch.account_book import AccountBook
from liqwatch.model import Exchange, MarginMode, Position, PositionMode, Side
from liqwatch.risk.evaluate import evaluate_account
from liqwatch.risk.registry import risk_rules
from liqwatch.tiers import TierTable

TABLE = TierTable.build([(0, 50_000, 0.004, None), (50_000, 600_000, 0.005, None), (600_000, 3e6, 0.0065, None)])


def _positions() -> list[Position]:
    return [
        Position("BTC/USDT:USDT", Side.LONG, 2.0, 60_000, MarginMode.CROSS, TABLE, PositionMode.HEDGE, 10),
        Position("BTC/USDT:USDT", Side.SHORT, 0.5, 62_000, MarginMode.CROSS, TABLE, PositionMode.HEDGE, 10),
        Position("ETH/USDT:USDT", Side.SHORT, 30.0, 3_000, MarginMode.CROSS, TABLE, PositionMode.HEDGE, 10),
        Position("SOL/USDT:USDT", Side.LONG, 500.0, 150, MarginMode.ISOLATED, TABLE, PositionMode.HEDGE, 5,
                 isolated_margin=15_000),
    ]


@pytest.mark.parametrize("exchange", list(Exchange))
def test_incremental_matches_full_recompute(exchange: Exchange) -> None:
    rules = risk_rules(exchange, 0.0005)
    book = AccountBook(rules, wallet_balance=40_000)
    marks = {"BTC/USDT:USDT": 61_000.0, "ETH/USDT:USDT": 3_050.0, "SOL/USDT:USDT": 149.0}
    positions = _positions()
    for p in positions:
        book.upsert(p, marks[p.symbol])
    rng = random.Random(3)
    for i in range(2_000):
        sym = rng.choice(list(marks))
        marks[sym] *= math.exp(rng.gauss(0, 0.002))
        assert book.on_mark(sym, marks[sym])
        if i % 97 == 0:
            full = evaluate_account(rules, 40_000, positions, marks)
            assert book.margin_balance == pytest.approx(full.cross_margin_balance, rel=1e-12)
            assert book.maintenance_margin == pytest.approx(full.maintenance_margin, rel=1e-12)
            assert book.risk == pytest.approx(full.risk, rel=1e-12)
            snap = book.snapshot()
            for a, b in zip(snap.positions, full.positions, strict=True):
                assert a.liquidation_price == pytest.approx(b.liquidation_price, rel=1e-12)
                assert a.risk == pytest.approx(b.risk, rel=1e-12)


def test_hedge_legs_share_one_cross_liquidation_price() -> None:
    book = AccountBook(risk_rules(Exchange.BINANCE), wallet_balance=10_000)
    flat = TierTable.flat(0.004)
    book.upsert(Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, flat, PositionMode.HEDGE), 60_000)
    book.upsert(Position("BTC/USDT:USDT", Side.SHORT, 0.5, 62_000, MarginMode.CROSS, flat, PositionMode.HEDGE), 60_000)
    snap = book.snapshot()
    long_liq, short_liq = (p.liquidation_price for p in snap.positions)
    assert long_liq is not None and long_liq == short_liq
    # Binance's hedge-mode formula with cumL = cumS = 0.
    expected = (10_000 - 1.0 * 60_000 + 0.5 * 62_000) / (1.0 * 0.004 + 0.5 * 0.004 - 1.0 + 0.5)
    assert long_liq == pytest.approx(expected, rel=1e-12)
    # At that price equity equals maintenance margin (230.77 in the worked example).
    equity = 10_000 + (long_liq - 60_000) * 1.0 - (long_liq - 62_000) * 0.5
    assert equity == pytest.approx(1.5 * long_liq * 0.004, rel=1e-9)
    assert equity == pytest.approx(230.77, abs=0.01)


def test_tick_for_unknown_symbol_changes_nothing() -> None:
    book = AccountBook(risk_rules(Exchange.BINANCE), wallet_balance=1_000)
    book.upsert(Position("BTC/USDT:USDT", Side.LONG, 0.1, 50_000, MarginMode.CROSS, TABLE), 50_000)
    before = book.risk
    assert not book.on_mark("DOGE/USDT:USDT", 0.1)
    assert book.risk == before


def test_remove_and_replace_keep_sums_exact() -> None:
    book = AccountBook(risk_rules(Exchange.BINANCE), wallet_balance=5_000)
    p = Position("BTC/USDT:USDT", Side.LONG, 0.1, 50_000, MarginMode.CROSS, TABLE)
    book.upsert(p, 49_000)
    book.upsert(Position("BTC/USDT:USDT", Side.LONG, 0.2, 50_000, MarginMode.CROSS, TABLE))  # keeps the mark
    assert book.margin_balance == pytest.approx(5_000 - 200.0)
    assert book.remove(p.key)
    assert book.margin_balance == 5_000 and book.maintenance_margin == 0
    assert book.risk == 0.0


def test_hedge_legs_report_the_same_positive_distance_while_safe() -> None:
    book = AccountBook(risk_rules(Exchange.BINANCE), wallet_balance=8_000)
    flat = TierTable.flat(0.004)
    book.upsert(Position("BTC/USDT:USDT", Side.LONG, 0.3, 61_000, MarginMode.CROSS, flat, PositionMode.HEDGE), 60_000)
    book.upsert(Position("BTC/USDT:USDT", Side.SHORT, 0.1, 59_000, MarginMode.CROSS, flat, PositionMode.HEDGE), 60_000)
    long_leg, short_leg = book.snapshot().positions
    assert long_leg.liquidation_price is not None and long_leg.liquidation_price < 60_000
    # Net long: the price must fall to liquidate, for the short leg too.
    assert long_leg.distance_to_liquidation_pct == short_leg.distance_to_liquidation_pct
    assert long_leg.distance_to_liquidation_pct is not None and long_leg.distance_to_liquidation_pct > 0
