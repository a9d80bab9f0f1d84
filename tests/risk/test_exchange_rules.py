"""Exchange-specific rules beyond the published worked cases."""

from __future__ import annotations

import pytest

from liqwatch.model import Exchange, MarginMode, Position, PositionMode, Side
from liqwatch.risk.bybit import fee_to_close
from liqwatch.risk.evaluate import evaluate_account
from liqwatch.risk.hyperliquid import mmr_from_max_leverage
from liqwatch.risk.registry import risk_rules
from liqwatch.tiers import TierTable, TierTableError

FLAT = TierTable.flat(0.005)


def test_bybit_unified_isolated_fee_to_close_cancels_in_the_formula() -> None:
    # Unified account: positionIM and positionMM both carry the fee to close, so Ex. 1 still gives 19,700.
    base = Position("BTC/USDT:USDT", Side.LONG, 1, 20_000, MarginMode.ISOLATED, FLAT, leverage=50,
                    isolated_margin=400.0)
    fee = fee_to_close(base, 0.00055)
    assert fee == pytest.approx(10.78)
    pos = Position("BTC/USDT:USDT", Side.LONG, 1, 20_000, MarginMode.ISOLATED, FLAT, leverage=50,
                   isolated_margin=400.0 + fee)
    p = evaluate_account(risk_rules(Exchange.BYBIT, 0.00055), 0, [pos]).positions[0]
    assert p.liquidation_price == pytest.approx(19_700, abs=1e-9)
    assert p.maintenance_margin == pytest.approx(100 + fee)
    assert p.initial_margin == pytest.approx(400 + fee)
    assert p.bankruptcy_price == pytest.approx(19_600, abs=1e-9)  # EP x (1 - 1/leverage)


def test_bybit_margins_stay_at_entry_while_the_mark_moves() -> None:
    pos = Position("BTC/USDT:USDT", Side.SHORT, 1, 20_000, MarginMode.ISOLATED, FLAT, leverage=50,
                   isolated_margin=400.0, mark_price=19_000)
    p = evaluate_account(risk_rules(Exchange.BYBIT), 0, [pos]).positions[0]
    assert p.maintenance_margin == pytest.approx(100.0)
    assert p.unrealized_pnl == pytest.approx(1_000.0)
    assert p.risk == pytest.approx(100.0 / 1_400.0)


def test_okx_cross_liquidation_meets_equity_equals_mm_plus_fees() -> None:
    fee = 0.0005
    tiers = TierTable.build([(0, 100_000, 0.004, None), (100_000, 1e9, 0.006, None)], recurrence=False)
    a = Position("BTC/USDT:USDT", Side.LONG, 3, 60_000, MarginMode.CROSS, tiers, mark_price=59_000)
    b = Position("ETH/USDT:USDT", Side.SHORT, 20, 3_000, MarginMode.CROSS, tiers, mark_price=3_100)
    acc = evaluate_account(risk_rules(Exchange.OKX, fee), 20_000, [a, b])
    liq = acc.positions[0].liquidation_price
    assert liq is not None
    equity = 20_000 + 3 * (liq - 60_000) - 20 * (3_100 - 3_000)
    req = tiers.maintenance_margin(3 * liq) + 3 * liq * fee + tiers.maintenance_margin(20 * 3_100) + 20 * 3_100 * fee
    assert equity == pytest.approx(req, rel=1e-12)
    # OKX's ratio is equity / requirement; risk is its inverse.
    assert acc.margin_ratio is not None and acc.risk is not None
    assert acc.margin_ratio * acc.risk == pytest.approx(1.0)


def test_hyperliquid_cross_matches_documented_formula() -> None:
    max_lev = 40
    mmr = mmr_from_max_leverage(max_lev)
    a = Position("BTC/USDC:USDC", Side.SHORT, 0.5, 60_000, MarginMode.CROSS, TierTable.flat(mmr), mark_price=61_000)
    b = Position("ETH/USDC:USDC", Side.LONG, 4, 3_000, MarginMode.CROSS, TierTable.flat(0.01), mark_price=2_900)
    wallet = 3_000.0
    acc = evaluate_account(risk_rules(Exchange.HYPERLIQUID), wallet, [a, b])
    account_value = wallet + acc.positions[0].unrealized_pnl + acc.positions[1].unrealized_pnl
    margin_available = account_value - acc.maintenance_margin
    side = -1
    doc = 61_000 - side * margin_available / 0.5 / (1 - mmr * side)
    assert acc.positions[0].liquidation_price == pytest.approx(doc, rel=1e-12)


def test_hedge_isolated_legs_have_their_own_prices() -> None:
    long_leg = Position("BTC/USDT:USDT", Side.LONG, 1, 60_000, MarginMode.ISOLATED, FLAT, PositionMode.HEDGE,
                        isolated_margin=6_000)
    short_leg = Position("BTC/USDT:USDT", Side.SHORT, 1, 60_000, MarginMode.ISOLATED, FLAT, PositionMode.HEDGE,
                         isolated_margin=6_000)
    acc = evaluate_account(risk_rules(Exchange.BINANCE), 0, [long_leg, short_leg])
    lp, sp = (p.liquidation_price for p in acc.positions)
    assert lp is not None and sp is not None and lp < 60_000 < sp


def test_liquidation_price_is_none_when_it_would_be_negative() -> None:
    # A 1x long cannot be liquidated: its price would be <= 0.
    pos = Position("BTC/USDT:USDT", Side.LONG, 1, 60_000, MarginMode.ISOLATED, FLAT, isolated_margin=60_000)
    p = evaluate_account(risk_rules(Exchange.BINANCE), 0, [pos]).positions[0]
    assert p.liquidation_price is None and p.distance_to_liquidation_pct is None


def test_tier_table_validation_names_the_tier() -> None:
    with pytest.raises(TierTableError, match=r"tiers\[1\]: overlap"):
        TierTable.build([(0, 100, 0.01, None), (50, 200, 0.02, None)])
    with pytest.raises(TierTableError, match="first tier must start at floor 0"):
        TierTable.build([(10, 100, 0.01, None)])
    with pytest.raises(TierTableError, match=r"tiers\[0\].mmr"):
        TierTable.build([(0, 100, 1.5, None)])


def test_past_the_last_cap_the_last_tier_applies() -> None:
    t = TierTable.build([(0, 100, 0.01, None), (100, 200, 0.02, None)])
    assert t.tier_for(10_000).mmr == 0.02
    assert t.tier_for(100).mmr == 0.02  # floor inclusive
    assert t.tier_for(99.999).mmr == 0.01  # cap exclusive


def test_discontinuous_table_liquidates_at_the_boundary() -> None:
    # Amounts that do not follow the recurrence make the margin jump at 50,000 notional. Rising towards it the
    # short is still safe (tier 1 root 50,797 lies outside tier 1), past it already short of margin (tier 2
    # root 48,571 lies outside tier 2): the requirement is crossed at the boundary itself.
    t = TierTable.build([(0, 50_000, 0.004, 0.0), (50_000, 1e9, 0.05, 0.0)])
    pos = Position("BTC/USDT:USDT", Side.SHORT, 1, 40_000, MarginMode.ISOLATED, t, isolated_margin=11_000)
    liq = evaluate_account(risk_rules(Exchange.BINANCE), 0, [pos]).positions[0].liquidation_price
    assert liq == pytest.approx(50_000)
