"""Review of issue 14 (the generic ccxt adapter): a 429 storm at start. ccxt's requests do not go through the
adapters' REST gate, so a rate limit it meets is published nowhere (no ban banner); at bootstrap the channels
stayed CONNECTING with no detail at all, and ``liqwatch check`` showed no reason. The channels now say it, with
the retry's time, as for any other failed bootstrap."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from tests.feeds.harness import eventually
from tests.review.ccxt_fake import fake_adapter


class Limited:
    def __init__(self) -> None:
        self.has: dict[str, bool] = {}
        self.markets: dict[str, Any] = {}
        self.rateLimit = 10

    async def load_markets(self) -> Any:
        import ccxt

        raise ccxt.RateLimitExceeded("krakenfutures 429 Too Many Requests")


async def test_a_rate_limit_at_bootstrap_is_said_on_the_channels() -> None:
    async with aiohttp.ClientSession() as session:
        ad = fake_adapter(session, Limited())
        task = asyncio.create_task(ad._bootstrap_with_retry())
        try:
            await eventually(lambda: all("rate" in ch.detail.lower() for ch in ad.own_channels), 3.0,
                             "the channels say the rate limit")
            now = ad.clock.monotonic()
            assert all(ch.status(now).retry_in_s is not None for ch in ad.own_channels)
        finally:
            task.cancel()
