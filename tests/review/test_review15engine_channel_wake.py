"""review15engine: a channel going down (the socket closed: RECONNECTING) is a change of the state the monitor
shows, but a channel's transitions did not go through the store: no version moved, no change listener was
called, so the event-driven engine showed it (and its alerts judged it) only at the next ``fresh_s`` build.
Freshness an hour away here: only a wake-up can build it."""

from __future__ import annotations

import asyncio

from liqwatch.feed_channel import ChannelState
from liqwatch.monitor_engine import MonitorEngine
from tests.feeds.harness import eventually
from tests.feeds.test_store_incremental import Book

HOUR = 3600.0


async def test_a_channel_going_down_wakes_the_engine() -> None:
    book = Book(max_age_s=HOUR)
    engine = MonitorEngine(book.store, poll_s=0.01, fresh_s=HOUR)
    async with asyncio.timeout(30), engine:
        assert engine.latest is not None and all(f.state is ChannelState.LIVE for f in engine.latest.feeds)
        book.channels["a1"].reconnecting("socket closed")

        def shown() -> bool:
            snap = engine.latest
            return snap is not None and any(f.account == "a1" and f.state is ChannelState.RECONNECTING
                                            for f in snap.feeds)
        await eventually(shown, 5.0, "a1 shown RECONNECTING")
