"""The socket-level faults on Hyperliquid's single websocket (rows 1, 2, 3, 8 and 10 of the catalogue)."""

from __future__ import annotations

import aiohttp
import pytest

from liqwatch.feed_channel import ChannelState
from tests.feeds.harness import FAST, eventually, running

HL = ("hl-whale",)
LIVE = ChannelState.LIVE


async def test_hl_drop_half_open_and_silence() -> None:
    async with running(only=HL) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("hl-whale")
        mark = env.channel("hl-whale", "mark")
        # 1: dropped connection -> RECONNECTING at once, resync, LIVE again
        before, resyncs = mark.changes, adapter.resyncs
        await env.emu.faults.drop("hyperliquid", reset=True)
        await eventually(lambda: ChannelState.RECONNECTING in mark.states_since(before), 1, "RECONNECTING")
        await eventually(lambda: mark.state is LIVE and adapter.resyncs > resyncs, 10, "LIVE after a resync")
        # 2: half-open -> not LIVE within the limit; our {"method":"ping"} gets no pong; replaced
        connects, pings = adapter.stream.connects, adapter.pings
        env.emu.faults.half_open("hyperliquid")
        await eventually(lambda: mark.state is not LIVE, FAST.market_max_age_s + 0.5, "not LIVE")
        await eventually(lambda: adapter.stream.connects > connects, 10, "a new socket")
        assert adapter.pings > pings
        await eventually(lambda: mark.state is LIVE, 10, "LIVE")
        # 3: pongs answered, data stopped -> STALE, resubscribe, reconnect
        connects = adapter.stream.connects
        env.emu.faults.stop_data("hyperliquid")
        await eventually(lambda: mark.state is ChannelState.STALE, 2, "STALE")
        await eventually(lambda: adapter.stream.connects > connects, 10, "a reconnect")
        await eventually(lambda: mark.state is LIVE, 10, "LIVE")


@pytest.mark.parametrize("kind", ["truncated", "nan", "not_json"])
async def test_hl_malformed_frames_are_counted(kind: str) -> None:
    async with running(only=HL) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("hl-whale")
        connects, before = adapter.stream.connects, adapter.malformed
        env.emu.faults.malformed("hyperliquid", kind)
        await eventually(lambda: adapter.malformed > before, 5, "counted")
        assert adapter.stream.connects == connects
        assert env.channel("hl-whale", "mark").state is LIVE


async def test_hl_reconnect_replays_user_funding_snapshot_without_double_counting() -> None:
    # The demo settles funding two simulated minutes in; at 30x that is ~4 s.
    async with running(only=HL, speed=30.0) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store

        def paid() -> float | None:
            # The payments the store booked (since-open is Hyperliquid's own cumFunding, not our sum).
            ps = [p.amount for a, p in store.snapshot().funding_payments if a == "hl-whale"]
            return sum(ps) if ps else None

        await eventually(lambda: paid() is not None, 20, "a settlement")
        total = paid()
        await env.emu.faults.drop("hyperliquid")  # the new socket's userFundings starts with isSnapshot: true
        resyncs = env.adapter("hl-whale").resyncs
        await eventually(lambda: env.adapter("hl-whale").resyncs > resyncs, 10, "resync")
        await eventually(lambda: env.channel("hl-whale", "funding").state is LIVE, 10, "funding LIVE")
        # The snapshot replays payments we already hold: the total must equal the exchange's own ledger.
        address = next(a.address for a in env.emu.scenario.hyperliquid.accounts if a.name == "hl-whale")
        async with aiohttp.ClientSession() as s, s.post(
            f"{env.emu.rest_url}/info", json={"type": "userFunding", "user": address, "startTime": 0}
        ) as r:
            ledger = sum(float(e["delta"]["usdc"]) for e in await r.json())
        await eventually(lambda: paid() == pytest.approx(ledger, abs=1e-6), 5, "our total to match the ledger")
        assert total is not None and ledger != 0
