"""Review 2 of issue 11: the WatchLoopStream (liqwatch.feeds.watch_loop), the FeedStream a ccxt-style loop of
watch calls runs as, against a library that misbehaves: a watch call that raises CancelledError on its own
(as a library does when its connection task is torn down), an ``on_open`` (the REST resync) that never
returns, an update the handler cannot read."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

from liqwatch.feed_channel import ChannelState
from tests.feeds.harness import eventually
from tests.feeds.test_watch_loop import Wiring


@contextlib.asynccontextmanager
async def running(w: Wiring):  # type: ignore[no-untyped-def]
    task = asyncio.create_task(w.stream.run())
    try:
        async with asyncio.timeout(30):
            yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def test_a_library_cancelled_error_is_a_dropped_connection_not_the_end_of_the_stream() -> None:
    w = Wiring()
    torn_down = asyncio.Event()

    async def watch() -> float:
        if torn_down.is_set():
            torn_down.clear()
            raise asyncio.CancelledError()  # the library's own connection task was torn down
        return await w.watch()

    w.stream._watch = watch
    async with running(w) as task:
        await eventually(lambda: w.resyncs == 1, 5, "first open")
        w.watch.queue.put_nowait(100.0)
        await eventually(lambda: w.channel.state is ChannelState.LIVE, 5, "LIVE on the first update")
        torn_down.set()
        w.watch.queue.put_nowait(101.0)  # the call pending now returns; the next one raises
        await eventually(lambda: w.resyncs == 2 or task.done(), 5, "a reopen (or the end of run)")
        assert not task.done(), f"run() ended; the stream still says connected={w.stream.connected}"


async def test_a_forced_reconnect_ends_a_hung_open() -> None:
    w = Wiring()
    hang = asyncio.Event()
    opens = 0

    async def on_open() -> None:
        nonlocal opens
        opens += 1
        w.channel.subscribed(w.clock.monotonic())
        if opens == 1:
            await hang.wait()  # the resync's REST call never answers
        w.channel.synced(w.clock.monotonic())

    w.stream._on_open = on_open
    try:
        async with running(w):
            await eventually(lambda: opens == 1, 5, "first open")
            assert w.stream.connected and w.channel.state is ChannelState.SYNCING
            # The supervisor sees the market channel silent and forces a reconnect, as it does for a socket.
            w.stream.force_reconnect("mark: subscribed but no data")
            await eventually(lambda: opens == 2, 3, "a reopen after the forced reconnect")
    finally:
        hang.set()


async def test_an_unreadable_update_is_not_a_dropped_connection() -> None:
    w = Wiring()
    seen: list[object] = []

    def on_update(update: float, mono: float, receive: datetime) -> None:
        seen.append(update)
        if not isinstance(update, float):
            raise ValueError(f"unreadable update {update!r}")
        w.channel.data(mono)

    w.stream._on_update = on_update
    async with running(w):
        await eventually(lambda: w.resyncs == 1, 5, "first open")
        w.watch.queue.put_nowait(100.0)
        await eventually(lambda: w.channel.state is ChannelState.LIVE, 5, "LIVE on the first update")
        w.watch.queue.put_nowait("garbage")  # type: ignore[arg-type]
        w.watch.queue.put_nowait(101.0)
        await eventually(lambda: 101.0 in seen, 5, "the update after the bad one read")
        assert w.downs == [] and w.stream.connects == 1, f"downs={w.downs}, connects={w.stream.connects}"
