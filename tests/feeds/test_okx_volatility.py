"""σ at start for OKX: seeded from ``market/mark-price-candles`` (100 a page, walked back with ``after``)."""

from __future__ import annotations

import pytest

from liqwatch.emulator.candles import stationary_sigma_hour
from liqwatch.emulator.demo_scenario import DEMO_TOML
from liqwatch.emulator.okx_demo import OKX_DEMO_TOML
from liqwatch.emulator.scenario import scenario_from_toml
from liqwatch.model import Exchange
from tests.feeds.harness import eventually, running
from tests.feeds.test_volatility_seed import SEEDING


async def test_okx_sigma_is_seeded_from_the_mark_price_candles() -> None:
    scenario = scenario_from_toml(DEMO_TOML + OKX_DEMO_TOML, source="demo + okx")
    async with running(scenario=scenario, only=("okx-iso",), options=SEEDING, okx_idle_timeout=None) as env:
        vol = env.monitor.store.volatility(Exchange.OKX, "ETH/USDT:USDT")
        await eventually(lambda: vol.hours.count >= 720 and vol.minutes.count >= 60, 10.0, "seeded volatility")
        expected = stationary_sigma_hour(next(p for p in env.emu.scenario.paths if p.name == "ETH"))
        assert vol.long_sigma_hour() == pytest.approx(expected, rel=0.12)
        calls = [status for _, path, status in env.emu.requests if path == "/api/v5/market/mark-price-candles"]
        assert len(calls) == 8 + 2 and set(calls) == {200}  # 1h: 7 pages of 100 and one of 22; 1m: 100 + 20
