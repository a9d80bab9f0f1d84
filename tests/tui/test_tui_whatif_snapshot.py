"""The what-if computes from the snapshot alone (issue 11): its positions, tier tables, wallet and marks are
the snapshot's own (``AccountView.what_if``), so a what-if over a snapshot gives that snapshot's figures
however far the live store has moved on since."""

from __future__ import annotations

import pytest

from liqwatch.model import BalanceUpdate, MarginMode, Position, PositionUpdate, Side, Stamp
from liqwatch.risk.evaluate import evaluate_account
from liqwatch.risk.registry import risk_rules
from tests.tui.scripted import ACCOUNTS, BIN, ETH, ETH_TIERS, scripted
from widgets.whatif_calc import what_if


def test_what_if_over_a_snapshot_gives_its_figures_while_the_store_moves_on() -> None:
    s = scripted()
    snap = s.store.snapshot()
    degen = snap.account("binance-degen")
    assert degen.risk is not None
    # The live store moves on: ETH falls, the degen long doubles, its wallet halves.
    s.clock.advance(1.0)
    now = s.clock.now()
    s.mark(BIN, ETH, 2_800.0)
    bigger = Position(ETH, Side.LONG, 20.0, 3_000, MarginMode.ISOLATED, ETH_TIERS, leverage=30, isolated_margin=2_000)
    assert s.store.apply(PositionUpdate("binance-degen", bigger.key, bigger, Stamp(now, now)))
    assert s.store.apply(BalanceUpdate("binance-degen", 1_000.0, Stamp(now, now)))

    at_zero = {r.view.name: r for r in what_if(snap, 0.0)}["binance-degen"]
    for mine, seen in zip(at_zero.after.positions, degen.risk.positions, strict=True):
        assert (mine.size, mine.mark_price) == (seen.size, seen.mark_price) == (10.0, 2_990.0)
        assert mine.liquidation_price == pytest.approx(seen.liquidation_price, rel=1e-12)
        assert mine.risk == pytest.approx(seen.risk, rel=1e-12)
    # Shifted: the engine's evaluation of the snapshot's positions and wallet at its shifted marks.
    shifted = {r.view.name: r for r in what_if(snap, -5.0, "ETH")}["binance-degen"]
    _, wallet, positions = ACCOUNTS["binance-degen"]
    assert shifted.after == evaluate_account(risk_rules(BIN), wallet, positions, {ETH: 2_990.0 * 0.95})
    inputs = degen.what_if
    assert inputs is not None and inputs.wallet_balance == wallet and inputs.positions[0].size == 10.0
    assert inputs.positions[0].tiers == ETH_TIERS  # each position with its own tier table


def test_each_position_view_carries_its_tiers_and_funding_interval() -> None:
    snap = scripted().store.snapshot()
    eth = snap.account("binance-degen").positions[0]
    assert eth.tiers == ETH_TIERS and eth.funding_interval_hours == 8.0
    sol = snap.account("hl-iso").positions[0]
    assert sol.funding_interval_hours == 1.0
