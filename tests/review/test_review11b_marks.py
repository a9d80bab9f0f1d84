"""Review 2 of issue 11: subscribing a newly held symbol (``adapter_marks.hold_symbols``) while the mark socket
reconnects, over the relaying proxy on 127.0.0.1.

Binance's market socket subscribes by its URL (``open_topics`` at dial time). A position that opens on the user
stream while the market socket is being dialled finds it not connected, so ``hold_symbols`` neither sends a
SUBSCRIBE nor remembers the topic; the socket then opens on the URL built before the position existed. The
symbol is subscribed only at the next reconciliation's ``after_snapshot`` (60 s by default): meanwhile the
position's mark is the one REST resync's and ages out."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest
from aiohttp import web

from liqwatch.model import Side
from tests.feeds.harness import FAST, eventually
from tests.feeds.test_frame_integrity import account_update, leg, now_ms
from tests.feeds.ws_relay import Relay, RelayEnv, relayed

SOL = "SOL/USDT:USDT"


class GatedRelay(Relay):
    """Holds a market socket's upgrade at ``gate`` while ``hold`` is set (the dial in progress)."""

    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.hold = False
        self.gate = asyncio.Event()
        self.held_dials = 0
        self.market_urls: list[str] = []

    async def _relay_ws(self, request: web.Request) -> web.StreamResponse:
        if request.path.startswith("/market"):
            self.market_urls.append(request.path_qs)
            if self.hold:
                self.held_dials += 1
                await self.gate.wait()
        return await super()._relay_ws(request)


async def test_a_symbol_held_during_the_mark_sockets_dial_is_subscribed_when_it_opens(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("tests.feeds.ws_relay.Relay", GatedRelay)
    slow_reconcile = replace(FAST, reconcile_interval_s=120.0)  # as in production: not every second
    async with relayed(("binance-main",), options=slow_reconcile) as env:
        relay = env.relay
        assert isinstance(relay, GatedRelay)
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        market = adapter.runner("market")
        assert market is not None
        relay.hold = True
        market.force_reconnect("test: redial")
        await eventually(lambda: relay.held_dials == 1, 10, "the market socket's dial held at the relay")
        # While it dials, a SOL position opens on the user stream.
        frame = account_update(now_ms(), [leg("SOLUSDT", "10.000", "150")])
        assert await relay.inject("/private/ws", frame) == 1
        await eventually(lambda: _size(env) == 10.0, 5, "the SOL position applied")
        relay.hold = False
        relay.gate.set()
        await eventually(lambda: market.connected, 10, "the market socket open again")
        topic = adapter.mark_topic(SOL)
        await eventually(lambda: topic in adapter.mark_topics, 5, "SOL's mark subscribed",)


def _size(env: RelayEnv) -> float | None:
    return next((p.size for p in env.monitor.store.book("binance-main").positions()
                 if p.key == (SOL, Side.LONG)), None)
