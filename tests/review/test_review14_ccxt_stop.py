"""Review of issue 14 (the generic ccxt adapter): stopping. The adapter's ``run`` closes its ccxt instance in its
``finally``, unbounded: a socket whose peer never completes the closing handshake (a hostile or dead server)
held ``Monitor.stop`` (which awaits every feed task) for as long as the close took. The close is now bounded by
the request limit; what is left is dropped with the instance."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import aiohttp

from tests.feeds.harness import FAST, eventually
from tests.review.ccxt_fake import fake_adapter


class NeverCloses:
    def __init__(self) -> None:
        self.has: dict[str, bool] = {}
        self.markets: dict[str, Any] = {"BTC/USDT:USDT": {"swap": True, "settle": "USDT"}}
        self.tickers: dict[str, Any] = {}
        self.rateLimit = 10
        self.closing = False

    async def load_markets(self) -> Any:
        return self.markets

    async def fetch_positions(self) -> list[Any]:
        return []

    async def fetch_balance(self) -> dict[str, Any]:
        return {"total": {"USDT": 100.0}}

    async def fetch_tickers(self, symbols: list[str]) -> Any:
        return {}

    def detach_sockets(self) -> Any:
        async def close() -> None:
            return None
        return close

    async def close(self) -> None:
        self.closing = True
        await asyncio.Event().wait()  # the peer never answers the close


async def test_stopping_is_bounded_when_the_close_never_ends() -> None:
    async with aiohttp.ClientSession() as session:
        ex = NeverCloses()
        ad = fake_adapter(session, ex, options=replace(FAST, request_timeout_s=0.5))
        task = asyncio.create_task(ad.run())
        await eventually(lambda: ad.snapshots >= 1, 5.0, "the first snapshot")
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=3.0)
        assert ex.closing
        assert task in done, "run() still closing ccxt after 3 s"
