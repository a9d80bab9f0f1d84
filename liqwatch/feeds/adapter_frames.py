"""What an adapter does with each frame a socket delivers: record it, judge it (a malformed frame or an
implausible exchange time is counted and logged, never applied in part, and too many force a reconnect),
and hand marks to the store through a coalescing queue, counting them as data only once applied.

The same checks hold for what REST answers bring: a mark is judged against the last one applied (REST marks
are the reference), an unreadable item of an answer is counted, logged and skipped, and a history record
(funding payment, fill) with an implausible time is refused like a frame's."""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import orjson

from liqwatch.clock import Clock
from liqwatch.feed_channel import Channel
from liqwatch.feed_events import StaleEventIgnored
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.coalesce import CoalescingQueue
from liqwatch.feeds.feed_stream import FeedStream
from liqwatch.feeds.frame_recorder import FrameRecorder
from liqwatch.feeds.frame_time import ServerClock
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.pending_mark import PendingMark
from liqwatch.feeds.sink import FeedSink, SinkEvent
from liqwatch.feeds.stream import FrameHandler
from liqwatch.feeds.wire import WireError, implausible_mark, implausible_rate
from liqwatch.model import MarkTick
from liqwatch.redact import frame_summary, mask_numbers, redact

log = logging.getLogger("liqwatch.feeds.adapter")  # one logger for the adapter, whichever file

R = TypeVar("R")
_REASONS_KEPT = 1000


#: What ``FrameIntake.decode`` returns for a frame that is not JSON (``None`` is the JSON ``null``).
NOT_JSON: Any = object()
#: What judging one event of a frame yields: its effect, run only once every event of the frame has passed.
Apply = Callable[[], None]


class ImplausibleTime(WireError):
    """An exchange time the clock check refuses (``frame_time``): the frame is bad, and counted as such too."""


class UnknownEvents(set[str]):
    """The event types met that have no handler, each logged once. Bounded as ``bad_item``'s reasons are: a
    flood of new types (one frame can carry thousands) keeps the newest ``cap`` of them, logs the first
    ``cap`` and then says once that the others go to the debug level."""

    def __init__(self, cap: int = _REASONS_KEPT) -> None:
        super().__init__()
        self.cap = cap
        self._order: deque[str] = deque()
        self.logged = 0
        self.more_told = False

    def met(self, kind: str) -> bool:
        """``kind`` met; True when it was not known (it is kept now, the oldest one dropped beyond ``cap``)."""
        if kind in self:
            return False
        if len(self._order) >= self.cap:
            self.discard(self._order.popleft())
        self.add(kind)
        self._order.append(kind)
        return True


class FrameIntake:
    """The frame checks of ``FeedAdapter`` (liqwatch.feeds.adapter), which sets these attributes up."""

    account: FeedAccount
    sink: FeedSink
    clock: Clock
    opts: FeedOptions
    recorder: FrameRecorder | None
    malformed: int
    unknown_events: UnknownEvents
    _malformed_times: deque[float]
    streams: list[FeedStream]
    ticks: CoalescingQueue[MarkTick | PendingMark]  # a PendingMark: from a lean reader (binance_fast_mark)
    _tick_origin: dict[tuple[object, str], tuple[Channel, float]]
    server_clock: ServerClock
    implausible_times: int
    #: The last mark applied per (exchange, symbol), from REST or a socket: what the next frame's is judged by.
    applied_marks: dict[tuple[object, str], float]
    bad_items: int  # unreadable items of REST answers, skipped
    _bad_item_reasons: set[tuple[str, str]]

    def emit(self, event: SinkEvent) -> bool:
        raise NotImplementedError

    def record(self, source: str, raw: str, receive_time: datetime) -> None:
        if self.recorder is not None:
            self.recorder.write(receive_time.timestamp(), f"{self.account.name}/{source}", raw)

    def decode(self, source: str, raw: str, receive: datetime, stream: FeedStream | None) -> Any:
        """Every socket frame: recorded, then parsed; ``NOT_JSON`` (counted as a bad frame) when it is not JSON."""
        self.record(source, raw, receive)
        try:
            return orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.bad_frame(source, raw, "not JSON", stream)
            return NOT_JSON

    def bad_frame(self, source: str, raw: str, why: str, stream: FeedStream | None = None) -> None:
        self.malformed += 1
        now = self.clock.monotonic()
        self._malformed_times.append(now)
        # Never the frame itself: a user-stream frame is the trader's balances and positions.
        log.warning("%s/%s: malformed frame (%s): %s", self.account.name, source, mask_numbers(why),
                    frame_summary(raw))
        recent = sum(1 for t in self._malformed_times if now - t <= 60.0)
        if stream is not None and recent >= self.opts.malformed_reconnect_threshold:
            self._malformed_times.clear()
            stream.force_reconnect("too many malformed frames")

    def bad_item(self, source: str, item: Any, why: str) -> None:
        """One unreadable item of a REST answer (a position row, a mark, a record): counted, logged and skipped,
        while the rest of the answer is used. Logged as a warning once per source and reason, then at debug
        level: an item that stays bad would otherwise log at every reconciliation."""
        self.bad_items += 1
        key = (source, why)
        first = key not in self._bad_item_reasons
        if first and len(self._bad_item_reasons) < _REASONS_KEPT:
            self._bad_item_reasons.add(key)
        try:
            raw = item if isinstance(item, str) else orjson.dumps(item).decode()
        except TypeError:
            raw = repr(item)
        log.log(logging.WARNING if first else logging.DEBUG, "%s/%s: unreadable item skipped (%s): %s",
                self.account.name, source, mask_numbers(why), frame_summary(raw))

    def judge_time(self, exchange_time: datetime, receive: datetime, *, record: bool = False) -> None:
        """The one check of every frame's exchange time (see ``frame_time``): an implausible one raises
        ImplausibleTime, and the frame is one bad frame (``frame_rejected``), nothing of it applied.
        ``record``: a history record's time (a funding payment or fill replayed by a snapshot), may be old."""
        why = self.server_clock.implausible(exchange_time, receive, record=record)
        if why is not None:
            raise ImplausibleTime(why)

    def frame_rejected(self, source: str, raw: str, exc: WireError, stream: FeedStream | None) -> None:
        """A frame judged unusable (``exc`` says why): one malformed frame, however many events it had."""
        if isinstance(exc, ImplausibleTime):
            self.implausible_times += 1
        self.bad_frame(source, raw, str(exc), stream)

    def plausible_records(self, source: str, records: Iterable[R], time_of: Callable[[R], datetime]) -> list[R]:
        """The records of a REST answer (funding payments, fills) whose time the record rule accepts; each
        other one is counted (an implausible time, a bad item), logged and skipped: never booked."""
        receive = self.clock.now()
        out = []
        for r in records:
            why = self.server_clock.implausible(time_of(r), receive, record=True)
            if why is None:
                out.append(r)
            else:
                self.implausible_times += 1
                self.bad_item(source, repr(r), why)
        return out

    def apply_rest_mark(self, source: str, tick: MarkTick) -> bool:
        """A mark from a REST answer: the exchange's answer to a question, applied without the move bound, and
        the reference the next frames' marks are judged by. Its time and funding rate are judged like a frame's."""
        if not tick.by_arrival:
            why = self.server_clock.implausible(tick.stamp.exchange_time, tick.stamp.receive_time)
            if why is not None:
                self.implausible_times += 1
                self.bad_item(source, repr(tick), f"{tick.symbol}: {why}")
                return False
        if (why := implausible_rate(tick.funding_rate)) is not None:  # as a frame's (``judged_tick``)
            self.bad_item(source, repr(tick), f"{tick.symbol}: {why}")
            return False
        applied = self.emit(tick)
        if applied:
            self.applied_marks[(tick.exchange, tick.symbol)] = tick.mark_price
        return applied

    def judged_tick(self, tick: MarkTick, channel: Channel, mono: float) -> Apply:
        """A mark from a socket, judged here (raises WireError: a bad frame), queued for the store by the
        effect returned, and data for ``channel`` only once applied. A mark that is not a positive price, or
        not a plausible move from the last mark applied (see ``wire.MARK_MOVE_LIMIT``), or with a funding rate
        beyond ``wire.MAX_FUNDING_RATE``, is a bad frame."""
        why = implausible_mark(tick.mark_price, self.applied_marks.get((tick.exchange, tick.symbol)))
        if why is None:
            why = implausible_rate(tick.funding_rate)
        if why is not None:
            raise WireError(f"{tick.symbol}: {why}")
        if not tick.by_arrival:
            why = self.server_clock.implausible(tick.stamp.exchange_time, tick.stamp.receive_time)
            if why is not None:
                raise ImplausibleTime(f"{tick.symbol}: {why}")
        return lambda: self.push_tick(tick, channel, mono)

    def push_tick(self, tick: MarkTick, channel: Channel | None = None, mono: float = 0.0) -> None:
        key = (tick.exchange, tick.symbol)
        queued = self.ticks.peek(key)
        if (queued is not None and not tick.by_arrival
                and tick.stamp.exchange_time < queued.stamp.exchange_time):
            self.emit(StaleEventIgnored(self.account.name))  # an out-of-order frame must not displace a newer one
            return
        self.ticks.put(key, tick)
        if channel is not None:
            self._tick_origin[key] = (channel, mono)
        else:
            self._tick_origin.pop(key, None)  # what replaced the socket's tick did not come on the socket

    async def _apply_ticks(self) -> None:
        while True:
            self.apply_queued(await self.ticks.wait())

    def apply_queued(self, items: Iterable[MarkTick | PendingMark]) -> None:
        """The marks taken from the hand-off queue, to the store: data of their channel once applied."""
        for queued in items:
            origin = self._tick_origin.pop((queued.exchange, queued.symbol), None)
            if isinstance(queued, PendingMark):  # its MarkTick made now, once per store update, not per frame
                tick, origin = queued.tick(), (queued.channel, queued.mono)
            else:
                tick = queued
            if self.emit(tick):
                self.applied_marks[(tick.exchange, tick.symbol)] = tick.mark_price
                if origin is not None:
                    origin[0].data(origin[1])

    def guarded(self, source: str, handler: FrameHandler, stream: Callable[[], FeedStream | None]) -> FrameHandler:
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
        seen = self.unknown_events
        if not seen.met(kind):
            return
        # The exchange's word for it, yet any figure it carried is masked (a log line never holds balances).
        shown = mask_numbers(redact(kind))
        shown = shown if len(shown) <= 80 else shown[:80] + "..."
        if seen.logged < seen.cap:
            seen.logged += 1
            log.info("%s/%s: ignoring unknown event type %r (logged once)", self.account.name, source, shown)
            return
        if not seen.more_told:  # a flood: said once, then each new type at debug level only
            seen.more_told = True
            log.info("%s/%s: %d event types without a handler logged; further new ones only at debug level",
                     self.account.name, source, seen.logged)
        log.debug("%s/%s: ignoring unknown event type %r", self.account.name, source, shown)
