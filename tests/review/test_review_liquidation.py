"""Hostile review of issue 9: liquidation look-ups against the emulator over 127.0.0.1, with the local wall
clock off. Fails on the code it was written against; passes once the defect in its docstring is fixed."""

from __future__ import annotations

import asyncio

from liqwatch.clock import OffsetClock
from tests.feeds.harness import eventually, running

HOUR = 3600.0


async def _ticking(env, stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    while not stop.is_set():
        await env.emu.tick(1)
        await asyncio.sleep(0.05)


async def test_a_liquidation_while_blind_is_found_with_the_local_clock_an_hour_behind() -> None:
    """DEFECT: when a reconciliation finds a position gone while the stream was blind, the store dates the
    look-up with the position's last time, which is on the EXCHANGE's clock (``last_position_time``, the
    snapshot's ``as_of``); ``BinanceAdapter.liquidation_history`` then converts it as if it were local time
    (``server_clock.exchange_time(closed.since)``), adding the measured offset a second time. With the local
    clock an hour behind (offset +1 h) ``forceOrders`` is asked from an hour after the liquidation, finds
    nothing, and the liquidation is reported as a plain close ("no liquidation in the exchange's history").
    (Hyperliquid's look-up uses ``closed.since`` as the exchange's time: the two adapters disagree on what it is.)
    EXPECTED: the liquidation is found and reported as one, whatever the local clock says."""
    clock = OffsetClock()
    clock.jump_wall(-HOUR)
    async with running(only=("binance-degen",), autorun=False, proxy=True, clock=clock) as env:
        assert env.proxy is not None
        store = env.monitor.store
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticking(env, stop))
        try:
            assert await env.monitor.wait_live(15)
        finally:
            stop.set()
            await ticker
        env.proxy.refuse = True
        env.proxy.reset_all()
        for _ in range(400):  # the demo's ETH slides until the 30x long is liquidated
            await env.emu.tick(1)
            if env.emu.liquidations:
                break
        assert env.emu.liquidations, "the emulator never liquidated the degen account"
        env.proxy.refuse = False

        def explained() -> bool:
            return bool(store.liquidations("binance-degen")) or any(
                "no liquidation in the exchange's history" in i for i in store.incidents)

        await eventually(explained, 15, "the resync and the history lookup")
        assert store.liquidations("binance-degen"), [i for i in store.incidents if "binance-degen" in i][-3:]
