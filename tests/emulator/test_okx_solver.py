"""The emulator's OKX liquidation solve: the isolated closed form, and OKX's ratio at the solved price is 1
(cross, multi-currency, with BTC collateral that moves with the BTC swap and crosses a discount tier)."""

from __future__ import annotations

import pytest

from liqwatch.clock import SystemClock
from liqwatch.emulator.okx_scenario import OkxCurrencySpec, OkxDiscountTierSpec
from liqwatch.emulator.simulation import Simulation

from .okx_helpers import okx_scenario


def _sim() -> Simulation:
    return Simulation(okx_scenario(), seed=3, speed=1.0, clock=SystemClock())


def test_isolated_matches_the_closed_form() -> None:
    sim = _sim()
    account = sim.okx.accounts["okx-iso"]
    (p,) = account.positions
    # formulas.md §3.3: long LP = (EP - m) / (1 - MMR - fee), m = isolated margin / size in coins.
    expected = (60000.0 - 6000.0 / 1.0) / (1 - 0.004 - 0.0005)
    assert sim.okx.liquidation_price(account, p) == pytest.approx(expected, rel=1e-9)


def test_freqtrade_isolated_values() -> None:
    # formulas.md §3.3 (freqtrade's asserted values, MMR 0.01, fee 0.0006, 3x, EP 10): 6.738090425173506.
    ep, mmr, fee = 10.0, 0.01, 0.0006
    m = ep / 3
    assert (ep - m) / (1 - mmr - fee) == pytest.approx(6.738090425173506, rel=1e-12)


@pytest.mark.parametrize("inst_id", ["BTC-USDT-SWAP", "ETH-USDT-SWAP"])
def test_cross_multi_currency_ratio_is_one_at_the_solved_price(inst_id: str) -> None:
    sim = _sim()
    account = sim.okx.accounts["okx-multi"]
    p = next(q for q in account.positions if q.inst_id == inst_id)
    liq = sim.okx.liquidation_price(account, p)
    assert liq is not None
    market = sim.market.okx[inst_id]
    path = sim.market.paths[sim.market.okx_specs[inst_id].path]
    before = 0.5 * path.price
    scale = liq / market.mark
    market.mark = liq
    path.price *= scale  # the index (and the BTC collateral with it) moves with the mark
    ratio = account.account_ratio(sim.market.okx)
    assert ratio == pytest.approx(1.0, rel=1e-9)
    if inst_id == "BTC-USDT-SWAP":
        # the solve crossed a discount tier: the collateral sat in the second tier, at the solved price the first
        assert before > 20_000 > 0.5 * path.price


def test_discount_haircut_is_progressive() -> None:
    c = OkxCurrencySpec(ccy="BTC", path="BTC", discount=(OkxDiscountTierSpec(floor_usd=0, rate=0.98),
                                                         OkxDiscountTierSpec(floor_usd=20000, rate=0.9)))
    haircut = c.haircut_table().maintenance_margin(30_000.0)
    assert 30_000.0 - haircut == pytest.approx(20_000 * 0.98 + 10_000 * 0.9)
