"""The emulator's bisection against exact closed forms written here (Binance FAQ, Hyperliquid docs).

The closed forms below are the test's own, not liqwatch.risk's: each is solved tier by tier and the
self-consistent tier is kept, which is exact for continuous tier tables.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from liqwatch.emulator.liquidation import Leg, margin_gap, solve_liquidation_price
from liqwatch.tiers import TierTable

TABLE_B = TierTable.build(
    [
        (0, 50_000, 0.004, None),
        (50_000, 600_000, 0.005, None),
        (600_000, 3_000_000, 0.0065, None),
        (3_000_000, 12_000_000, 0.01, None),
        (12_000_000, 70_000_000, 0.02, None),
        (70_000_000, math.inf, 0.025, None),
    ]
)


def exact_one_leg(wallet: float, qty: float, entry: float, tiers: TierTable, fixed_mm: float = 0.0) -> float | None:
    """Binance one-way formula LP = (WB - TMM + cum - s|Q|EP) / (|Q| MMR - s|Q|), tier by tier."""
    s = 1.0 if qty > 0 else -1.0
    q = abs(qty)
    for tier in tiers.tiers:
        lp = (wallet - fixed_mm + tier.maint_amount - s * q * entry) / (q * tier.mmr - s * q)
        if lp > 0 and tier.floor <= q * lp < tier.cap:
            return lp
    return None


def test_binance_bracket_two_isolated_long() -> None:
    # formulas.md 1.6(d): 2 BTC long @ 65,000, isolatedWallet 6,500, table B -> 62035.1759 (bracket 2).
    lp = solve_liquidation_price([Leg(2.0, 65_000.0, TABLE_B)], 6_500.0, 0.0, 65_000.0)
    assert lp == pytest.approx(62035.1759, abs=5e-5)
    assert lp == pytest.approx(exact_one_leg(6_500.0, 2.0, 65_000.0, TABLE_B), rel=1e-10)


@pytest.mark.parametrize(("qty", "expected"), [(1.0, 8.070707070707071), (-1.0, 11.891089108910891)])
def test_freqtrade_synthetic_case(qty: float, expected: float) -> None:
    # formulas.md 1.6(f): WB 2, cum 0.01, MMR 0.01, Q 1, EP 10.
    tiers = TierTable.flat(0.01, 0.01)
    assert solve_liquidation_price([Leg(qty, 10.0, tiers)], 2.0, 0.0, 10.0) == pytest.approx(expected, rel=1e-10)


def test_binance_faq_cross_example_other_position_held_at_its_mark() -> None:
    # formulas.md 1.6(a): the published answer for ETH is 1153.26.
    btc = TierTable.flat(0.025, 16_300.0)
    eth = TierTable.flat(0.10, 135_365.0)
    btc_q, btc_ep, btc_mark = 109.488, 32_481.98, 31_967.27
    other_upnl = btc_q * (btc_mark - btc_ep)
    other_mm = btc.maintenance_margin(btc_q * btc_mark)
    lp = solve_liquidation_price([Leg(3_683.979, 1_456.84, eth)], 1_535_443.01 + other_upnl, other_mm, 1_335.18)
    assert lp is not None and round(lp, 2) == 1153.26
    assert lp == pytest.approx(1153.2565, abs=1e-4)


def test_binance_hedge_legs_move_together() -> None:
    # formulas.md 1.6(e): WB 10,000, long 1 @ 60,000, short 0.5 @ 62,000, MMR 0.004, cum 0.
    flat = TierTable.flat(0.004)
    legs = [Leg(1.0, 60_000.0, flat), Leg(-0.5, 62_000.0, flat)]
    lp = solve_liquidation_price(legs, 10_000.0, 0.0, 60_000.0)
    expected = (10_000 - 1 * 60_000 + 0.5 * 62_000) / (1 * 0.004 + 0.5 * 0.004 - 1 + 0.5)
    assert lp == pytest.approx(expected, rel=1e-10)
    assert margin_gap(expected, legs, 10_000.0, 0.0) == pytest.approx(0.0, abs=1e-6)
    equity = 10_000 + (expected - 60_000) - 0.5 * (expected - 62_000)
    assert equity == pytest.approx(230.77, abs=0.01)


def test_hyperliquid_isolated_long_matches_the_api_sample() -> None:
    # formulas.md 4.3: ETH isolated long, szi 0.2259, entryPx 2213.9, maxLev 50, rawUsd -475.23904.
    szi, entry, raw_usd, mmr = 0.2259, 2213.9, -475.23904, 1 / (2 * 50)
    isolated_margin = raw_usd + szi * entry
    lp = solve_liquidation_price([Leg(szi, entry, TierTable.flat(mmr))], isolated_margin, 0.0, entry)
    assert lp == pytest.approx(-raw_usd / (szi * (1 - mmr)), rel=1e-10)
    assert lp == pytest.approx(2125.00856238, rel=1e-9)


def test_hyperliquid_isolated_short_closed_form() -> None:
    szi, entry, margin, mmr = -3.0, 150.0, 60.0, 1 / (2 * 20)
    raw_usd = margin - szi * entry
    lp = solve_liquidation_price([Leg(szi, entry, TierTable.flat(mmr))], margin, 0.0, entry)
    assert lp == pytest.approx(raw_usd / (abs(szi) * (1 + mmr)), rel=1e-10)


def test_no_liquidation_price_when_fully_collateralised() -> None:
    assert solve_liquidation_price([Leg(1.0, 100.0, TierTable.flat(0.01))], 200.0, 0.0, 100.0) is None
    assert solve_liquidation_price([], 200.0, 0.0, 100.0) is None


def test_a_position_already_under_water_reports_the_price_above() -> None:
    tiers = TierTable.flat(0.01)
    # Long 1 @ 100 with 5 of margin: liquidation at 95.96; a mark of 90 is past it.
    lp = solve_liquidation_price([Leg(1.0, 100.0, tiers)], 5.0, 0.0, 90.0)
    assert lp == pytest.approx(95 / 0.99, rel=1e-10)


def _tables() -> st.SearchStrategy[TierTable]:
    @st.composite
    def build(draw: st.DrawFn) -> TierTable:
        n = draw(st.integers(1, 6))
        floors = sorted(set(draw(st.lists(st.floats(1_000, 5e7), min_size=n - 1, max_size=n - 1))))
        mmrs = sorted(draw(st.lists(st.floats(0.002, 0.3), min_size=len(floors) + 1, max_size=len(floors) + 1)))
        bounds = [0.0, *floors, math.inf]
        return TierTable.build([(bounds[i], bounds[i + 1], mmrs[i], None) for i in range(len(mmrs))])

    return build()


@settings(max_examples=200, deadline=None)
@given(
    tiers=_tables(),
    qty=st.floats(0.01, 500).flatmap(lambda q: st.sampled_from([q, -q])),
    entry=st.floats(1, 100_000),
    margin_frac=st.floats(0.005, 0.9),
)
def test_bisection_matches_the_tier_by_tier_closed_form(
    tiers: TierTable, qty: float, entry: float, margin_frac: float
) -> None:
    wallet = abs(qty) * entry * margin_frac
    exact = exact_one_leg(wallet, qty, entry, tiers)
    solved = solve_liquidation_price([Leg(qty, entry, tiers)], wallet, 0.0, entry)
    if exact is None:
        assert solved is None or margin_gap(solved, [Leg(qty, entry, tiers)], wallet, 0.0) == pytest.approx(
            0.0, abs=1e-6 * abs(qty) * entry
        )
    else:
        assert solved == pytest.approx(exact, rel=1e-9)
