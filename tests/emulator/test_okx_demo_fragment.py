"""The OKX demo fragment integration will append to the demo: it parses with the demo's paths, and its two
accounts come up in the emulator (single-currency isolated; multi-currency cross with USDT + BTC and a borrow)."""

from __future__ import annotations

from liqwatch.clock import SystemClock
from liqwatch.emulator.demo_scenario import DEMO_TOML
from liqwatch.emulator.okx_demo import OKX_DEMO_TOML, okx_lines
from liqwatch.emulator.scenario import scenario_from_toml
from liqwatch.emulator.simulation import Simulation


def test_fragment_joins_the_demo() -> None:
    scenario = scenario_from_toml(DEMO_TOML + OKX_DEMO_TOML, source="demo + okx")
    assert [a.name for a in scenario.okx.accounts] == ["okx-iso", "okx-multi"]
    sim = Simulation(scenario, seed=1, speed=1.0, clock=SystemClock())
    multi = sim.okx.accounts["okx-multi"]
    ratio = multi.account_ratio(sim.market.okx)
    assert ratio is not None and ratio > 1.5  # healthy at the start
    prices = sim.okx.liquidation_prices()
    assert all(v is not None for v in prices.values()) and len(prices) == 3
    lines = okx_lines(scenario.okx, show_secrets=False)
    assert len(lines) == 2 and all("(from the scenario file)" in line for line in lines)
    assert not any(a.secret in " ".join(lines) or a.passphrase in " ".join(lines) for a in scenario.okx.accounts)
