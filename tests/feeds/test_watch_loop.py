"""WatchLoopStream: a loop of watch calls (ccxt's shape) supervised like a websocket, through the channel
states CONNECTING -> SYNCING -> LIVE -> STALE -> RECONNECTING -> LIVE, with a REST resync at every (re)open."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import Channel, ChannelKind, ChannelState
from liqwatch.feeds.feed_stream import FeedStream
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.rest import AuthError
from liqwatch.feeds.stream import StreamRunner
from liqwatch.feeds.watch_loop import WatchLoopStream
from tests.feeds.harness import eventually

OPTS = FeedOptions(idle_timeout_s=0.3, backoff_base_s=0.01, backoff_cap_s=0.02)


class FakeWatch:
    """A library's ``watch_*``: each call returns the next queued update or raises the queued error."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[float | Exception] = asyncio.Queue()
        self.calls = 0

    async def __call__(self) -> float:
        self.calls += 1
        item = await self.queue.get()
        if isinstance(item, Exception):
            raise item
        return item


class Wiring:
    def __init__(self) -> None:
        self.clock = FakeClock()
        self.channel = Channel("acct", "mark", ChannelKind.MARKET, max_age_s=5.0)
        self.watch = FakeWatch()
        self.resyncs = 0
        self.updates: list[float] = []
        self.downs: list[str] = []
        self.stream: WatchLoopStream[float] = WatchLoopStream(
            "mark", self.watch, self.on_update, self.on_open, self.on_down, self.clock, OPTS)

    async def on_open(self) -> None:
        self.channel.subscribed(self.clock.monotonic())
        self.resyncs += 1  # the REST resync: the channel may go LIVE only after it
        self.channel.synced(self.clock.monotonic())

    def on_update(self, price: float, mono: float, receive: datetime) -> None:
        self.updates.append(price)
        self.channel.data(mono)

    def on_down(self, reason: str) -> None:
        self.downs.append(reason)
        self.channel.reconnecting(reason)


def test_both_streams_satisfy_the_protocol() -> None:
    w = Wiring()
    assert isinstance(w.stream, FeedStream)
    runner = StreamRunner("ws", None, None, None, None, None, w.clock, OPTS)  # type: ignore[arg-type]
    assert isinstance(runner, FeedStream)


async def test_watch_loop_goes_through_the_channel_states_and_resyncs_after_every_reconnect() -> None:
    w = Wiring()
    ch = w.channel
    assert ch.state is ChannelState.CONNECTING and not w.stream.connected
    task = asyncio.create_task(w.stream.run())
    try:
        await eventually(lambda: w.resyncs == 1, 5, "first open")
        assert ch.state is ChannelState.SYNCING and w.stream.connected  # subscribed, no data yet
        w.watch.queue.put_nowait(100.0)
        await eventually(lambda: ch.state is ChannelState.LIVE, 5, "LIVE on the first update")
        w.clock.advance(6.0)
        assert ch.check(w.clock.monotonic()) is ChannelState.STALE
        # The library's call fails (a dropped connection): RECONNECTING, then reopened with a resync.
        w.watch.queue.put_nowait(ConnectionResetError("peer reset"))
        await eventually(lambda: w.resyncs == 2, 5, "reopen after an error")
        assert w.downs == ["watch failed: peer reset"]
        assert ChannelState.RECONNECTING in ch.states_since(0)
        assert ch.state is ChannelState.SYNCING  # not LIVE before data came after the resync
        w.watch.queue.put_nowait(101.0)
        await eventually(lambda: ch.state is ChannelState.LIVE, 5, "LIVE again")
        assert ch.states_since(0) == [ChannelState.SYNCING, ChannelState.LIVE, ChannelState.STALE,
                                      ChannelState.RECONNECTING, ChannelState.SYNCING, ChannelState.LIVE]
        # The supervisor forces a reconnect of a silent channel: the pending call is cancelled.
        w.stream.force_reconnect("mark: no data within limit")
        await eventually(lambda: w.resyncs == 3, 5, "reopen after a forced reconnect")
        assert w.downs[-1] == "mark: no data within limit"
        # A call that never returns is a silent connection: dropped after idle_timeout_s.
        await eventually(lambda: w.resyncs == 4, 5, "reopen after a silent call")
        assert w.downs[-1] == "no update for 0.3 s"
        assert w.updates == [100.0, 101.0] and w.stream.connects == 4
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_watch_loop_raises_a_refused_key_out_of_run() -> None:
    w = Wiring()
    w.watch.queue.put_nowait(AuthError("key revoked"))
    async with asyncio.timeout(5):
        with pytest.raises(AuthError):
            await w.stream.run()
    assert w.downs == []  # not a reconnect: the adapter disables the account
