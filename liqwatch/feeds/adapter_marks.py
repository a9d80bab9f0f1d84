"""The marks of what an account holds or watches, subscribed one way for every exchange: the base keeps the
topics subscribed and, whenever something it applied holds a symbol not watched yet, subscribes it (at
once, so that a burst of events subscribes once) and seeds the symbol's σ from candles, once per symbol.
The exchange declares only data: a symbol's topic, the messages that (un)subscribe topics, and how to fetch
a symbol's candles. Also the funding cursor and the early ``as_of`` every snapshot is dated by. A mixin of
``FeedAdapter``.
"""

from __future__ import annotations

from collections.abc import Coroutine, Iterable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from liqwatch.clock import Clock
from liqwatch.feed_channel import Channel
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.frame_time import ServerClock
from liqwatch.feeds.held import HeldLegs
from liqwatch.feeds.stream import WS, StreamRunner, send_guarded
from liqwatch.model import AccountState, FundingPayment


def streams_named(topics: Iterable[str], shown: int = 3) -> str:
    """A few of the topics subscribed, for a message: "btcusdt@markPrice@1s, ethusdt@markPrice@1s (+4 more)"."""
    names = sorted(topics)
    more = f" (+{len(names) - shown} more)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


class FundingCursor:
    """Where the next read of the exchange's funding history starts (its ms time): the newest record booked."""

    def __init__(self, since_ms: int | None = None) -> None:
        self.since_ms = since_ms

    def advance(self, pays: Iterable[FundingPayment]) -> None:
        times = [p.time for p in pays]
        if times:
            self.since_ms = int(max(times).timestamp() * 1000)


class MarkSubscriptions:
    account: FeedAccount
    clock: Clock
    server_clock: ServerClock
    held: HeldLegs
    mark: Channel
    mark_topics: set[str]
    _vol_seeding: set[str]

    #: The stream (``StreamSpec.name``) that carries the marks.
    mark_stream_name: ClassVar[str]
    #: Watched when nothing is held or configured: a heartbeat of real data even with no position open.
    heartbeat_symbol: ClassVar[str]

    # --- declared by the exchange ----------------------------------------------------------------------
    def mark_topic(self, symbol: str) -> str:
        """The topic of a unified symbol's mark on the exchange's stream. Raises nothing."""
        raise NotImplementedError

    def mark_messages(self, topics: list[str], subscribe: bool) -> list[dict[str, Any]]:
        """The messages that subscribe (or unsubscribe) ``topics``; each must pass ``check_ws_message``."""
        raise NotImplementedError

    async def seed_symbol(self, symbol: str) -> None:
        """Seed the symbol's σ from the exchange's candles (``candles.seed_volatility``); never raises."""
        raise NotImplementedError

    # --- from FeedAdapter ------------------------------------------------------------------------------
    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        raise NotImplementedError

    def runner(self, name: str) -> StreamRunner | None:
        raise NotImplementedError

    # --- the base's ------------------------------------------------------------------------------------
    def early_as_of(self, before: datetime | None = None) -> datetime:
        """The exchange's time a second before the request (sent at local ``before``, else now): a stream
        event from just before the request is in the snapshot anyway, while one the snapshot could predate
        must never be overwritten by it."""
        return self.server_clock.exchange_time(before or self.clock.now()) - timedelta(seconds=1)

    def wanted_topics(self, symbols: Iterable[str]) -> set[str]:
        syms = set(symbols) | set(self.account.symbols)
        return {self.mark_topic(s) for s in (syms or {self.heartbeat_symbol})}

    def open_topics(self) -> list[str]:
        """At a (re)connect: the topics of what is held and watched, all anew."""
        self.mark_topics = self.wanted_topics(p.symbol for p in self.held.positions())
        return sorted(self.mark_topics)

    def marks_opened(self) -> None:
        """The mark socket is open and subscribed (``stream_opened``): what became held after its topics were
        taken (Binance's go in the URL, built before the dial) is subscribed now. ``hold_symbols`` sends
        nothing while the socket is down; what is held (``held``, the adapter's own record) is the memory of
        what it wants, so nothing waits for the next reconciliation's ``after_snapshot``."""
        missing = self.wanted_topics(p.symbol for p in self.held.positions()) - self.mark_topics
        if missing:
            self.mark_topics.update(missing)
            self.spawn(self._send_marks(sorted(missing), True))

    def hold_symbols(self, symbols: set[str]) -> None:
        """Symbols something applied holds: σ seeded, marks subscribed, each once. While the mark socket is
        down nothing is sent: its opening subscribes what is held then (``open_topics``, ``marks_opened``)."""
        self.seed_volatility_once(symbols)
        new = self.wanted_topics(symbols) - self.mark_topics
        stream = self.runner(self.mark_stream_name)
        if new and stream is not None and stream.connected:
            self.mark_topics.update(new)  # at once, so that a burst of events subscribes once
            self.spawn(self._send_marks(sorted(new), True))

    def after_snapshot(self, state: AccountState) -> None:
        """Every state applied (REST or stream): what it holds is watched."""
        self.hold_symbols({p.symbol for p in state.positions} | {u.symbol for u in state.unevaluated})

    def seed_volatility_once(self, symbols: Iterable[str]) -> None:
        """σ of each symbol not seeded yet: once per symbol, in the background, never fatal."""
        for symbol in sorted(set(symbols) - self._vol_seeding):
            self._vol_seeding.add(symbol)
            self.spawn(self.seed_symbol(symbol))

    async def subscribe_marks(self, ws: WS, topics: list[str]) -> None:
        """Subscribe ``topics`` on ``ws`` (an opening or a renewal's new socket)."""
        for msg in self.mark_messages(topics, True):
            await send_guarded(ws, msg)

    async def _send_marks(self, topics: list[str], subscribe: bool) -> None:
        stream = self.runner(self.mark_stream_name)
        if stream is not None:
            await stream.send_all(self.mark_messages(topics, subscribe))

    async def resubscribe(self, channel: Channel) -> None:
        """A market channel subscribed but silent: its topics unsubscribed and subscribed again."""
        stream = self.runner(self.mark_stream_name)
        if channel is not self.mark or stream is None or not stream.connected:
            return
        topics = sorted(self.mark_topics)
        try:
            await self._send_marks(topics, False)
            await self._send_marks(topics, True)
        except ConnectionError:
            pass
