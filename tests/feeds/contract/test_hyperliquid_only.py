"""Hyperliquid only: its userFundings subscription replays the funding history (isSnapshot: true) on every new
socket; the payments liqwatch books must still match the exchange's own ledger, not double-count."""

from __future__ import annotations

import aiohttp
import pytest

from liqwatch.feed_channel import ChannelState
from tests.feeds.contract.observe import LIVE, Rest, channel
from tests.feeds.contract.profiles import HYPERLIQUID
from tests.feeds.harness import eventually, running

ACC = HYPERLIQUID.account


async def test_hl_reconnect_replays_user_funding_snapshot_without_double_counting() -> None:
    # The demo settles funding two simulated minutes in; at 30x that is ~4 s.
    async with running(only=(ACC,), speed=30.0) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store

        def paid() -> float | None:
            # The payments the store booked (since-open is Hyperliquid's own cumFunding, not our sum).
            ps = [p.amount for a, p in store.snapshot().funding_payments if a == ACC]
            return sum(ps) if ps else None

        await eventually(lambda: paid() is not None, 20, "a settlement")
        total = paid()
        funding = channel(env.monitor, ACC, "funding")
        changes, rest = funding.changes, Rest.mark(env.emu)
        await env.emu.faults.drop("hyperliquid")  # the new socket's userFundings starts with isSnapshot: true
        await eventually(lambda: ChannelState.SYNCING in funding.states_since(changes) and funding.state is LIVE
                         and rest.snapshots(HYPERLIQUID) >= 1, 10, "a resync, funding LIVE")
        # The snapshot replays payments we already hold: the total must equal the exchange's own ledger.
        address = next(a.address for a in env.emu.scenario.hyperliquid.accounts if a.name == ACC)
        async with aiohttp.ClientSession() as s, s.post(
            f"{env.emu.rest_url}/info", json={"type": "userFunding", "user": address, "startTime": 0}
        ) as r:
            ledger = sum(float(e["delta"]["usdc"]) for e in await r.json())
        await eventually(lambda: paid() == pytest.approx(ledger, abs=1e-6), 5, "our total to match the ledger")
        assert total is not None and ledger != 0
