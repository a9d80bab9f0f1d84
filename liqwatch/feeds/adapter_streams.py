"""An exchange's streams as declared data (``StreamSpec``), and the base's one way of running them: each
spec becomes a ``StreamRunner`` wired the same way (a guarded handler, its channels set down on a
disconnect, undecodable frames counted), and each frame goes through the same prelude: recorded, parsed,
then every event of it judged (its shape, exchange time and event type, and the exchange's handler's own
reading of it) before any is applied; an event type with no handler is counted and logged once. A mixin
of ``FeedAdapter``.

A frame is the unit of "never applied in part": a handler judges its event and returns the effect (an
``Apply``, or None), which runs only once every event of the frame has passed. A handler raises
``WireError`` (``ImplausibleTime`` for a time the clock check refuses) having applied nothing; the frame is
then one malformed frame, counted and logged once, and none of its events is applied. (Anything else a
handler raises is counted the same way by the guard.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import aiohttp

from liqwatch.clock import Clock
from liqwatch.feed_channel import Channel
from liqwatch.feeds.adapter_frames import NOT_JSON, Apply
from liqwatch.feeds.feed_stream import FeedStream
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.stream import WS, FrameHandler, StreamRunner
from liqwatch.feeds.wire import WireError

#: One event of a frame: (the event as parsed, the raw frame, monotonic and wall receive times) -> its effect,
#: run once the whole frame has passed (None: nothing to apply). Raises WireError, applying nothing.
EventHandler = Callable[[dict[str, Any], str, float, datetime], Apply | None]


def one_event(msg: Any) -> list[Any]:
    return [msg]


def event_type_in(field: str) -> Callable[[dict[str, Any]], str]:
    """An event's type read from its ``field``: a string. Absent, "None" (an unknown type, logged once); an
    object, a list or a number there makes the frame malformed, and is never logged as it is."""

    def kind(event: dict[str, Any]) -> str:
        value = event.get(field)
        if value is None or isinstance(value, str):
            return str(value)
        raise WireError(f"event type {field!r} is a {type(value).__name__}, not a string")

    return kind


@dataclass(frozen=True, slots=True)
class FrameRoutes:
    """How an exchange's frames are read; the prelude around it is the base's."""

    #: The event type of one event (a dict); raises WireError when it cannot be told.
    event_type: Callable[[dict[str, Any]], str]
    #: Event type -> its handler. A type not here (nor in ``ignored``) is an unknown event, logged once.
    handlers: Mapping[str, EventHandler]
    #: Event types that prove nothing about data (acknowledgements, pongs): passed over.
    ignored: frozenset[str] = frozenset()
    #: The events of one parsed frame (a combined stream carries several; an acknowledgement none).
    events: Callable[[Any], list[Any]] = one_event
    #: An event's own exchange time, judged before it is dispatched (None: it carries none); raises WireError.
    exchange_time: Callable[[dict[str, Any]], datetime | None] | None = None


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """One socket of an exchange: where, what opens it, which channels it feeds, how its frames read."""

    name: str
    url: Callable[[], Awaitable[str]]
    on_open: Callable[[WS], Awaitable[None]]
    channels: tuple[Channel, ...]
    routes: FrameRoutes
    app_ping: Callable[[WS], Awaitable[None]] | None = None
    on_renew: Callable[[WS], Awaitable[None]] | None = None
    on_rejected: Callable[[int], None] | None = None
    #: A lean reader of the socket's commonest frame put in front of the general one (``frame_reader``), which
    #: it is given and hands every other frame to (e.g. ``binance_fast_mark``); None: the general one alone.
    lean: Callable[[FrameHandler], FrameHandler] | None = None


class StreamWiring:
    """The streams of ``FeedAdapter`` built from the exchange's ``stream_specs``."""

    session: aiohttp.ClientSession
    clock: Clock
    opts: FeedOptions
    streams: list[FeedStream]
    _runners: dict[str, StreamRunner]
    _stream_channels: dict[str, tuple[Channel, ...]]

    # --- from FeedAdapter / FrameIntake ------------------------------------------------------------
    def guarded(self, source: str, handler: FrameHandler, stream: Callable[[], FeedStream | None]) -> FrameHandler:
        raise NotImplementedError

    def undecodable(self, source: str) -> Callable[[bytes], None]:
        raise NotImplementedError

    def decode(self, source: str, raw: str, receive: datetime, stream: FeedStream | None) -> Any:
        raise NotImplementedError

    def bad_frame(self, source: str, raw: str, why: str, stream: FeedStream | None = None) -> None:
        raise NotImplementedError

    def judge_time(self, exchange_time: datetime, receive: datetime, *, record: bool = False) -> None:
        raise NotImplementedError

    def frame_rejected(self, source: str, raw: str, exc: WireError, stream: FeedStream | None) -> None:
        raise NotImplementedError

    def unknown_event(self, source: str, kind: str) -> None:
        raise NotImplementedError

    def replace_task(self, name: str, coro: Coroutine[Any, Any, None]) -> None:
        raise NotImplementedError

    if TYPE_CHECKING:  # MarkSubscriptions' (after this mixin in FeedAdapter's MRO: a stub here would shadow it)
        mark_stream_name: ClassVar[str]

        def marks_opened(self) -> None: ...

    async def resync_until_ok(self, channels: list[Channel], stream: FeedStream | None) -> bool:
        raise NotImplementedError

    # --- for the exchange ------------------------------------------------------------------------------
    def stream_specs(self) -> list[StreamSpec]:
        """The exchange's sockets. Raises nothing; called at every (re)start of the feed."""
        raise NotImplementedError

    def runner(self, name: str) -> StreamRunner | None:
        """The socket of that name, once built."""
        return self._runners.get(name)

    # --- the base's ------------------------------------------------------------------------------------
    def build_streams(self) -> list[FeedStream]:
        """One ``StreamRunner`` per spec, every one wired the same way."""
        self._runners, self._stream_channels = {}, {}
        for spec in self.stream_specs():
            def current(name: str = spec.name) -> StreamRunner | None:
                return self._runners.get(name)

            reader = self.frame_reader(spec.name, spec.routes)
            if spec.lean is not None:
                reader = spec.lean(reader)
            self._runners[spec.name] = StreamRunner(
                spec.name, self.session, spec.url, spec.on_open, self.guarded(spec.name, reader, current),
                set_down(spec.channels), self.clock, self.opts, app_ping=spec.app_ping,
                on_undecodable=self.undecodable(spec.name), on_rejected=spec.on_rejected, on_renew=spec.on_renew,
                on_retry=set_retry(spec.channels),
            )
            self._stream_channels[spec.name] = spec.channels
        return list(self._runners.values())

    def stream_opened(self, name: str, *, resync: bool = True) -> None:
        """The socket ``name`` is open and subscribed: its channels' freshness clocks start now, and (``resync``)
        a REST resync of them runs, as the one task of that name, before they may go LIVE."""
        channels = self._stream_channels.get(name, ())
        now = self.clock.monotonic()
        for ch in channels:
            ch.subscribed(now)
        if name == self.mark_stream_name:
            self.marks_opened()
        if resync:
            self.replace_task(f"resync-{name}", self._resync_stream(name))

    async def _resync_stream(self, name: str) -> None:
        await self.resync_until_ok(list(self._stream_channels.get(name, ())), self._runners.get(name))

    def stream_of(self, channel: Channel) -> FeedStream | None:
        """The stream that feeds ``channel``."""
        return next((self._runners[n] for n, chs in self._stream_channels.items() if channel in chs), None)

    def frame_reader(self, source: str, routes: FrameRoutes) -> FrameHandler:
        """The prelude of every frame: record -> parse -> judge every event -> apply them all, or none."""

        def read(raw: str, mono: float, receive: datetime) -> None:
            stream = self._runners.get(source)
            msg = self.decode(source, raw, receive, stream)
            if msg is NOT_JSON:
                return
            try:
                effects, unknown = self._judge_frame(routes, msg, raw, mono, receive)
            except WireError as exc:
                self.frame_rejected(source, raw, exc, stream)  # one frame, one malformed frame
                return
            for kind in unknown:
                self.unknown_event(source, kind)
            for effect in effects:
                effect()

        return read

    def _judge_frame(self, routes: FrameRoutes, msg: Any, raw: str, mono: float, receive: datetime
                     ) -> tuple[list[Apply], list[str]]:
        """Each event of one frame: shape -> exchange time -> event type -> the handler's judgement. Its
        effects and unknown types, or WireError at the first event that cannot be used (nothing applied)."""
        effects: list[Apply] = []
        unknown: list[str] = []
        for event in routes.events(msg):
            if not isinstance(event, dict):
                raise WireError("unexpected shape")
            when = routes.exchange_time(event) if routes.exchange_time is not None else None
            if when is not None:
                self.judge_time(when, receive)
            kind = routes.event_type(event)
            if kind in routes.ignored:
                continue
            handler = routes.handlers.get(kind)
            if handler is None:
                unknown.append(kind)
                continue
            effect = handler(event, raw, mono, receive)
            if effect is not None:
                effects.append(effect)
        return effects, unknown


def set_retry(channels: tuple[Channel, ...]) -> Callable[[float], None]:
    """A stream's ``on_retry``: its channels know when the next connection attempt is due."""

    def retry(when: float) -> None:
        for ch in channels:
            ch.retry_at(when)

    return retry


def set_down(channels: tuple[Channel, ...]) -> Callable[[str], None]:
    """A stream's ``on_down``: its channels are RECONNECTING, with the reason."""

    def down(reason: str) -> None:
        for ch in channels:
            ch.reconnecting(reason)

    return down
