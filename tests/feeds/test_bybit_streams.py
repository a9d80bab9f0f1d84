"""The Bybit adapter's stream rules against the emulator: a liquidation seen live (a BustTrade execution), the
20 s ping that keeps Bybit from closing a socket, a reconnect and resync after a drop, and a tickers delta for
a topic without a snapshot taken as a resync of that topic."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import orjson

from liqwatch.emulator.streams import ConnKind
from liqwatch.feeds.bybit import BybitAdapter
from liqwatch.liquidations import ClosedSinceLastRun
from liqwatch.model import Side
from tests.emulator.bybit_helpers import bybit_scenario
from tests.feeds.harness import eventually, running


async def _ticking(env, stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    while not stop.is_set():
        await env.emu.tick(1)
        await asyncio.sleep(0.02)


async def test_a_liquidation_seen_live_is_recorded_and_the_position_removed() -> None:
    async with running(scenario=bybit_scenario(), only=("kenji",), autorun=False, bybit_idle_timeout=5.0) as env:
        assert await env.monitor.wait_live(15)
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticking(env, stop))
        try:
            await eventually(lambda: bool(env.emu.liquidations), 30, "the emulator to liquidate kenji")
        finally:
            stop.set()
            await ticker
        store = env.monitor.store
        await eventually(lambda: len(store.book("kenji")) == 0, 10, "the position to close on the stream")
        await eventually(lambda: bool(store.liquidations("kenji")), 5, "the liquidation recorded")
        (liq,) = store.liquidations("kenji")
        assert (liq.symbol, liq.side.value, liq.size_taken, liq.source) == ("ETH/USDT:USDT", "long", 2.0, "stream")
        # What a restart would find in Bybit's history (execution/list, execType BustTrade) for the same leg.
        adapter = env.adapter("kenji")
        since = liq.time - timedelta(minutes=1)
        found = await adapter.liquidation_history(ClosedSinceLastRun("ETH/USDT:USDT", Side.LONG, 2.0, since))
        assert found is not None and (found.size_taken, found.source, found.partial) == (2.0, "history", False)
        assert found.time == liq.time and found.price == liq.price


async def test_pings_keep_the_sockets_open_while_data_flows() -> None:
    # The emulator closes a socket its client has not written to for 1 s; FAST pings every 0.5 s.
    async with running(scenario=bybit_scenario(), only=("yuki",), autorun=True, bybit_idle_timeout=1.0) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("yuki")
        assert isinstance(adapter, BybitAdapter)
        start = adapter.pings
        await eventually(lambda: adapter.pings >= start + 8, 10, "four rounds of pings on both sockets")
        assert env.emu.hub.accepted[ConnKind.BYBIT_PUBLIC] == 1
        assert env.emu.hub.accepted[ConnKind.BYBIT_PRIVATE] == 1


async def test_a_drop_reconnects_and_resyncs() -> None:
    async with running(scenario=bybit_scenario(), only=("yuki",), autorun=True, bybit_idle_timeout=5.0) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("yuki")
        resyncs = adapter.resyncs
        await env.emu.faults.drop("bybit")
        await eventually(lambda: env.emu.hub.accepted[ConnKind.BYBIT_PUBLIC] >= 2, 10, "the public socket again")
        await eventually(lambda: env.emu.hub.accepted[ConnKind.BYBIT_PRIVATE] >= 2, 10, "the private socket again")
        await eventually(lambda: adapter.resyncs >= resyncs + 2, 10, "a resync per socket")
        assert await env.monitor.wait_live(10)


async def test_a_delta_before_its_snapshot_resyncs_the_topic() -> None:
    async with running(scenario=bybit_scenario(), only=("yuki",), autorun=True, bybit_idle_timeout=5.0) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("yuki")
        (conn,) = env.emu.hub.of(frozenset({ConnKind.BYBIT_PUBLIC}))
        delta = {"topic": "tickers.ETHUSDT", "type": "delta", "data": {"symbol": "ETHUSDT", "markPrice": "2999.5"},
                 "cs": 1, "ts": env.emu.sim.now_ms()}
        conn.send_raw(orjson.dumps(delta))
        await eventually(lambda: adapter.delta_resyncs == 1, 5, "the delta taken as a resync")
        session = env.emu.bybit_ws._sessions[conn.id]
        await eventually(lambda: "tickers.ETHUSDT" in session.topics, 5, "the topic subscribed again")
        await eventually(lambda: "tickers.ETHUSDT" in adapter._tickers, 5, "its snapshot held")
        assert adapter.malformed == 0


async def test_a_rate_limit_is_waited_out_and_reconciliation_resumes() -> None:
    async with running(scenario=bybit_scenario(), only=("yuki",), autorun=True, bybit_idle_timeout=5.0) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("yuki")
        failures, ok = adapter.reconcile_failures, adapter.reconcile_ok
        env.emu.faults.rest_error(429, exchange="bybit", retry_after=1)
        await eventually(lambda: adapter.reconcile_failures > failures, 10, "a reconciliation met the limit")
        assert "10006" in (adapter.last_error or "")
        await eventually(lambda: adapter.reconcile_ok > ok + 1, 10, "reconciliations again after the wait")
