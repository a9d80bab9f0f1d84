"""The reference cases through the engine's API (scenario reader + evaluate_account)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liqwatch.funding import funding_cashflow
from liqwatch.model import MarginMode, Position, Side
from liqwatch.risk.bybit import fee_to_close
from liqwatch.risk.evaluate import evaluate_account
from liqwatch.risk.hyperliquid import hourly_rate
from liqwatch.risk.registry import risk_rules
from liqwatch.scenario import scenario_from_mapping
from liqwatch.tiers import TierTable
from tests.risk.reference_cases import BINANCE_FAQ_RATIO, HL_CROSS_RATIO, LIQ_CASES, LiqCase


def _evaluate(scenario: dict):  # type: ignore[no-untyped-def]
    sc = scenario_from_mapping(scenario)
    return evaluate_account(risk_rules(sc.exchange, sc.taker_fee_rate), sc.wallet_balance, sc.positions)


@pytest.mark.parametrize("case", LIQ_CASES, ids=lambda c: c.id)
def test_reference_price(case: LiqCase) -> None:
    acc = _evaluate(case.scenario)
    got = getattr(acc.positions[case.position], case.field)
    if case.expected is None:
        assert got is None
    else:
        assert got is not None
        assert got == pytest.approx(case.expected, abs=case.tolerance)


def test_binance_faq_account_margin_ratio() -> None:
    acc = _evaluate(BINANCE_FAQ_RATIO["scenario"])
    assert acc.margin_ratio == pytest.approx(BINANCE_FAQ_RATIO["expected"], abs=BINANCE_FAQ_RATIO["tolerance"])
    # MM of BTC at its mark, one of the FAQ's intermediate figures.
    assert acc.positions[1].maintenance_margin == pytest.approx(71200.811444, abs=1e-6)
    assert acc.positions[0].unrealized_pnl == pytest.approx(-448192.88514, abs=1e-5)


def test_hyperliquid_cross_ratio_real_account() -> None:
    acc = _evaluate(HL_CROSS_RATIO["scenario"])
    assert acc.maintenance_margin == pytest.approx(141.579994, abs=1e-9)
    assert acc.margin_ratio == pytest.approx(HL_CROSS_RATIO["expected"], abs=HL_CROSS_RATIO["tolerance"])
    assert acc.positions[1].liquidation_price is None


def test_binance_bracket2_is_self_consistent() -> None:
    acc = _evaluate(LIQ_CASES[5].scenario)
    liq = acc.positions[0].liquidation_price
    assert liq is not None and 50_000 <= 2.0 * liq < 600_000


def test_binance_funding_long_positive_rate() -> None:
    assert funding_cashflow(Side.LONG, 0.5, 60000, 0.0001) == pytest.approx(-3.0, abs=1e-9)


def test_hyperliquid_hourly_funding_doc_example() -> None:
    assert funding_cashflow(Side.LONG, 10, 10000, hourly_rate(0.0095)) == pytest.approx(-118.75, abs=1e-9)


@pytest.mark.parametrize(("side", "expected"), [(Side.LONG, 12.375), (Side.SHORT, 15.125)])
def test_bybit_fee_to_close(side: Side, expected: float) -> None:
    pos = Position("BTC/USDC:USDC", side, 0.5, 50000, MarginMode.CROSS, TierTable.flat(0.005), leverage=10)
    assert fee_to_close(pos, 0.00055) == pytest.approx(expected, abs=1e-9)


def test_bybit_tiered_maintenance_margin() -> None:
    table = TierTable.build(
        [(0, 1000, 0.02, None), (1000, 2000, 0.025, None), (2000, 3000, 0.03, None),
         (3000, 4000, 0.035, None), (4000, 5000, 0.04, None)]
    )
    assert table.maintenance_margin(3500) == pytest.approx(92.5, abs=1e-9)
    assert table.tier_for(3500).maint_amount == pytest.approx(30.0, abs=1e-9)


def test_binance_recurrence_reproduces_served_cum() -> None:
    from tests.risk.reference_cases import BINANCE_BTC_2024

    table = TierTable.build([(f, c, m, None) for f, c, m, _ in BINANCE_BTC_2024])
    for tier, (_, _, _, cum) in zip(table.tiers, BINANCE_BTC_2024, strict=True):
        assert tier.maint_amount == pytest.approx(cum, abs=1e-6)


def test_stamp_is_timezone_aware() -> None:
    from liqwatch.model import Stamp

    with pytest.raises(ValueError):
        Stamp(datetime(2026, 1, 1), datetime(2026, 1, 1, tzinfo=UTC))
