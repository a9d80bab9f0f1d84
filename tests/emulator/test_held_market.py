"""``check --demo`` holds the demo's market until every feed is LIVE (liqwatch.demo_environment): held, the
emulator keeps publishing (the feeds need their marks to go LIVE) and the market does not move; released, it
moves on from where it was, at its speed."""

from __future__ import annotations

import asyncio

from liqwatch.emulator import EmulatorServer
from tests.emulator.helpers import small_scenario
from tests.feeds.harness import eventually


async def test_a_held_market_publishes_but_does_not_move_until_released() -> None:
    emu = EmulatorServer(small_scenario(), seed=7, autorun=True, speed=60.0, publish_interval=0.05)
    emu.held = True
    async with asyncio.timeout(20), emu:
        await eventually(lambda: emu.rounds >= 5, 10, "rounds published while held")
        assert emu.sim.market.steps == 0  # at 60x, five rounds would have moved it
        emu.held = False
        await eventually(lambda: emu.sim.market.steps > 0, 10, "the market moving once released")
