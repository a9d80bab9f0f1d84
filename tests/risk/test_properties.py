"""Properties of the risk math that must hold for any input, checked with hypothesis."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from liqwatch.model import Exchange, MarginMode, Position, Side
from liqwatch.risk.evaluate import evaluate_account
from liqwatch.risk.registry import risk_rules
from liqwatch.tiers import TierTable

EXCHANGES = st.sampled_from([Exchange.BINANCE, Exchange.HYPERLIQUID])


@st.composite
def tier_tables(draw: st.DrawFn) -> TierTable:
    """Increasing rates over increasing floors; amounts by the exchanges' recurrence."""
    n = draw(st.integers(1, 8))
    floors = [0.0]
    for _ in range(n - 1):
        floors.append(floors[-1] + draw(st.floats(1_000, 5_000_000)))
    mmr = draw(st.floats(0.002, 0.02))
    rows = []
    for i, f in enumerate(floors):
        cap = floors[i + 1] if i + 1 < n else f + 1e12
        rows.append((f, cap, mmr, None))
        mmr = min(0.5, mmr * draw(st.floats(1.05, 2.5)))
    return TierTable.build(rows)


@st.composite
def isolated_positions(draw: st.DrawFn) -> Position:
    side = draw(st.sampled_from([Side.LONG, Side.SHORT]))
    entry = draw(st.floats(0.01, 100_000))
    notional = draw(st.floats(100, 50_000_000))
    leverage = draw(st.floats(2, 100))
    return Position(
        "X/USDT:USDT", side, notional / entry, entry, MarginMode.ISOLATED, draw(tier_tables()),
        leverage=leverage, isolated_margin=notional / leverage,
        mark_price=entry * draw(st.floats(0.7, 1.3)),
    )


def _equity_and_mm(pos: Position, price: float, wallet: float, others: list[Position]) -> tuple[float, float]:
    if pos.margin_mode is MarginMode.ISOLATED:
        assert pos.isolated_margin is not None
        equity = pos.isolated_margin + pos.side.sign * pos.size * (price - pos.entry_price)
        return equity, pos.tiers.maintenance_margin(pos.size * price)
    equity, mm = wallet, 0.0
    for p in [pos, *others]:
        px = price if p is pos else (p.mark_price or p.entry_price)
        equity += p.side.sign * p.size * (px - p.entry_price)
        mm += p.tiers.maintenance_margin(p.size * px)
    return equity, mm


@settings(max_examples=300, deadline=None)
@given(exchange=EXCHANGES, pos=isolated_positions())
def test_at_isolated_liquidation_price_equity_equals_maintenance_margin(exchange: Exchange, pos: Position) -> None:
    acc = evaluate_account(risk_rules(exchange), 0.0, [pos])
    liq = acc.positions[0].liquidation_price
    assume(liq is not None)
    assert liq is not None
    equity, mm = _equity_and_mm(pos, liq, 0.0, [])
    assert equity == pytest.approx(mm, rel=1e-9, abs=1e-9 * pos.size * liq)
    # The bracket in use contains |size| x price.
    tier = pos.tiers.tier_for(pos.size * liq)
    assert tier.floor * (1 - 1e-12) <= pos.size * liq < tier.cap * (1 + 1e-12)


@settings(max_examples=200, deadline=None)
@given(
    exchange=EXCHANGES,
    pos=isolated_positions(),
    other=isolated_positions(),
    wallet_frac=st.floats(0.02, 0.6),
)
def test_at_cross_liquidation_price_account_equity_equals_maintenance_margin(
    exchange: Exchange, pos: Position, other: Position, wallet_frac: float
) -> None:
    cross = Position(pos.symbol, pos.side, pos.size, pos.entry_price, MarginMode.CROSS, pos.tiers,
                     mark_price=pos.mark_price)
    oth = Position("Y/USDT:USDT", other.side, other.size, other.entry_price, MarginMode.CROSS, other.tiers,
                   mark_price=other.mark_price)
    wallet = wallet_frac * (cross.size * cross.entry_price + oth.size * oth.entry_price)
    acc = evaluate_account(risk_rules(exchange), wallet, [cross, oth])
    liq = acc.positions[0].liquidation_price
    assume(liq is not None)
    assert liq is not None
    equity, mm = _equity_and_mm(cross, liq, wallet, [oth])
    scale = max(wallet, cross.size * liq, 1.0)
    assert equity - mm == pytest.approx(0.0, abs=1e-9 * scale)


@settings(max_examples=200, deadline=None)
@given(exchange=EXCHANGES, pos=isolated_positions(), steps=st.integers(5, 40))
def test_risk_rises_monotonically_as_the_mark_moves_against_the_position(
    exchange: Exchange, pos: Position, steps: int
) -> None:
    # In a tier (mmr r, amount c) a long's risk (Q*P*r - c) / (W + Q*(P - E)) rises as P falls exactly
    # when Q*E - W > c / r. c / r grows with the tier, so a very lightly levered long in a high tier can see
    # its risk dip slightly as the price falls; that is the exchanges' arithmetic, not ours, so the test
    # states the condition instead of hiding it. A short always satisfies its twin condition.
    rules = risk_rules(exchange)
    acc = evaluate_account(rules, 0.0, [pos])
    liq = acc.positions[0].liquidation_price
    assume(liq is not None)
    assert liq is not None and pos.isolated_margin is not None
    mark = pos.mark_price or pos.entry_price
    assume(pos.side.sign * (mark - liq) > 0)
    prices = [mark + (liq - mark) * k / steps for k in range(steps + 1)]
    if pos.side is Side.LONG:
        for p in prices:
            tier = pos.tiers.tier_for(pos.size * p)
            assume(pos.size * pos.entry_price - pos.isolated_margin > tier.maint_amount / tier.mmr)
    risks = []
    for p in prices:
        r = evaluate_account(rules, 0.0, [pos], {pos.symbol: p}).positions[0].risk
        assert r is not None
        risks.append(r)
    for a, b in itertools.pairwise(risks):
        assert b >= a * (1 - 1e-12)
    assert risks[-1] == pytest.approx(1.0, rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(pos=isolated_positions())
def test_flat_table_risk_is_monotonic_for_any_leverage_above_one(pos: Position) -> None:
    flat = Position(pos.symbol, pos.side, pos.size, pos.entry_price, MarginMode.ISOLATED,
                    TierTable.flat(pos.tiers.tiers[0].mmr), leverage=pos.leverage,
                    isolated_margin=pos.isolated_margin, mark_price=pos.mark_price)
    rules = risk_rules(Exchange.BINANCE)
    mark = flat.mark_price or flat.entry_price
    direction = -flat.side.sign
    risks = []
    for k in range(20):
        p = mark * (1 + direction * 0.004 * k)
        acc = evaluate_account(rules, 0.0, [flat], {flat.symbol: p})
        r = acc.positions[0].risk
        if r is None or math.isinf(r):
            break
        risks.append(r)
    assert all(b >= a for a, b in itertools.pairwise(risks))
