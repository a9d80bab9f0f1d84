"""What an adapter does with each frame a socket delivers: record it, judge it (a malformed frame or an
implausible exchange time is counted and logged, never applied in part, and too many force a reconnect),
and hand marks to the store through a coalescing queue, counting them as data only once applied."""

from __future__ import annotations

import logging
import math
from collections import deque
from collections.abc import Callable
from datetime import datetime

from liqwatch.clock import Clock
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.channel import Channel
from liqwatch.feeds.coalesce import CoalescingQueue
from liqwatch.feeds.frame_time import ServerClock
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.recorder import FrameRecorder
from liqwatch.feeds.stream import FrameHandler, StreamRunner
from liqwatch.model import MarkTick
from liqwatch.redact import excerpt
from liqwatch.store import MonitorStore

log = logging.getLogger("liqwatch.feeds.adapter")  # one logger for the adapter, whichever file


class FrameIntake:
    """The frame checks of ``FeedAdapter`` (liqwatch.feeds.adapter), which sets these attributes up."""

    account: FeedAccount
    store: MonitorStore
    clock: Clock
    opts: FeedOptions
    recorder: FrameRecorder | None
    malformed: int
    unknown_events: set[str]
    _malformed_times: deque[float]
    streams: list[StreamRunner]
    ticks: CoalescingQueue[MarkTick]
    _tick_origin: dict[tuple[object, str], tuple[Channel, float]]
    server_clock: ServerClock
    implausible_times: int

    def record(self, source: str, raw: str, receive_time: datetime) -> None:
        if self.recorder is not None:
            self.recorder.write(receive_time.timestamp(), f"{self.account.name}/{source}", raw)

    def bad_frame(self, source: str, raw: str, why: str, stream: StreamRunner | None = None) -> None:
        self.malformed += 1
        now = self.clock.monotonic()
        self._malformed_times.append(now)
        log.warning("%s/%s: malformed frame (%s): %s", self.account.name, source, why, excerpt(raw))
        recent = sum(1 for t in self._malformed_times if now - t <= 60.0)
        if stream is not None and recent >= self.opts.malformed_reconnect_threshold:
            self._malformed_times.clear()
            stream.force_reconnect("too many malformed frames")

    def time_ok(self, source: str, raw: str, exchange_time: datetime, receive: datetime,
                stream: StreamRunner | None) -> bool:
        """The one check of every frame's exchange time (see ``frame_time``): an implausible one is a bad
        frame, counted and logged, and nothing of the frame is applied."""
        why = self.server_clock.implausible(exchange_time, receive)
        if why is None:
            return True
        self.implausible_times += 1
        self.bad_frame(source, raw, why, stream)
        return False

    def accept_tick(self, source: str, raw: str, tick: MarkTick, channel: Channel, mono: float,
                    stream: StreamRunner | None) -> bool:
        """A mark from a socket: checked here, applied by the store later, and data for ``channel`` only
        once applied. A mark that is not a positive price is a bad frame."""
        if not (tick.mark_price > 0 and math.isfinite(tick.mark_price)):
            self.bad_frame(source, raw, f"mark price {tick.mark_price!r} of {tick.symbol} is not > 0", stream)
            return False
        if not tick.by_arrival and not self.time_ok(source, raw, tick.stamp.exchange_time, tick.stamp.receive_time,
                                                    stream):
            return False
        self.push_tick(tick, channel, mono)
        return True

    def push_tick(self, tick: MarkTick, channel: Channel | None = None, mono: float = 0.0) -> None:
        key = (tick.exchange, tick.symbol)
        queued = self.ticks.peek(key)
        if (queued is not None and not tick.by_arrival
                and tick.stamp.exchange_time < queued.stamp.exchange_time):
            self.store.ignored_stale_events += 1  # an out-of-order frame must not displace a newer one
            return
        self.ticks.put(key, tick)
        if channel is not None:
            self._tick_origin[key] = (channel, mono)
        else:
            self._tick_origin.pop(key, None)  # what replaced the socket's tick did not come on the socket

    async def _apply_ticks(self) -> None:
        while True:
            for tick in await self.ticks.wait():
                origin = self._tick_origin.pop((tick.exchange, tick.symbol), None)
                if self.store.apply(tick) and origin is not None:
                    origin[0].data(origin[1])

    def guarded(self, source: str, handler: FrameHandler, stream: Callable[[], StreamRunner | None]) -> FrameHandler:
        """A frame handler that cannot be killed by a frame: whatever a frame makes it raise counts as one
        malformed frame (logged, redacted), and the socket and the adapter carry on."""

        def handle(raw: str, mono: float, receive: datetime) -> None:
            try:
                handler(raw, mono, receive)
            except Exception as exc:
                self.bad_frame(source, raw, f"{type(exc).__name__}: {exc}", stream())

        return handle

    def undecodable(self, source: str) -> Callable[[bytes], None]:
        def bad(raw: bytes) -> None:
            stream = next((s for s in self.streams if s.name == source), None)
            self.bad_frame(source, raw.decode("utf-8", "replace"), "invalid UTF-8", stream)

        return bad

    def unknown_event(self, source: str, kind: str) -> None:
        if kind not in self.unknown_events:
            self.unknown_events.add(kind)
            log.info("%s/%s: ignoring unknown event type %r (logged once)", self.account.name, source, kind)
