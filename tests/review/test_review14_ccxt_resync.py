"""Review of issue 14 (the generic ccxt adapter): one failed REST resync when the account stream (re)opens.
``_open_account`` raised at the first failure, so the stream went down, and its going down closed every socket
of the instance and made the marks stream reconnect too. One 5xx or 429 at a reconnect thus tore down a healthy
marks socket, and every reconnect asked for more requests. As the native adapters do (``resync_until_ok``),
the snapshot is now retried with backoff while the stream stays up; the channel stays SYNCING meanwhile."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import aiohttp

from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.rest_errors import RestError
from tests.feeds.harness import FAST
from tests.review.ccxt_fake import fake_adapter


class Flaky:
    def __init__(self) -> None:
        self.has = {"watchPositions": True}
        self.markets: dict[str, Any] = {}
        self.tickers: dict[str, Any] = {}
        self.rateLimit = 10
        self.failures = 1
        self.detached = 0

    async def fetch_positions(self) -> list[Any]:
        if self.failures:
            self.failures -= 1
            raise RestError("krakenfutures fetch_positions: 502 Bad Gateway")
        return []

    async def fetch_balance(self) -> dict[str, Any]:
        return {"total": {"USDT": 100.0}}

    def detach_sockets(self) -> Any:
        self.detached += 1

        async def close() -> None:
            return None
        return close


async def test_one_failed_resync_at_open_is_retried_not_a_dropped_stream() -> None:
    async with aiohttp.ClientSession() as session:
        ex = Flaky()
        ad = fake_adapter(session, ex, options=replace(FAST, backoff_base_s=0.05))
        ad.ccxt_streams()
        stream = ad.stream_feeding(ad.account_ch)
        assert stream is not None
        stream.opened_at = ad.clock.monotonic()  # as during its on_open: the stream is up
        await ad._open_account()  # raised ConnectionError("resync failed: ...") before
        assert ex.failures == 0 and ex.detached == 0
        assert ad.account_ch.state is ChannelState.LIVE
