"""A stream that is a loop of watch calls: ``await watch()`` returns the next update (ccxt's ``watch_*``
are of this shape), each handed to a handler. A ``FeedStream`` like ``StreamRunner``, so an adapter built
on a library's watch calls is supervised, resynced and renewed like one on a raw websocket.

A call that takes longer than ``idle_timeout_s`` is a silent connection; a call that raises is a dropped
one (a CancelledError the library raises on its own, when its connection task is torn down, included; only a
cancellation of ``run`` ends it): either way the channels go RECONNECTING (``on_down``), the loop backs off and
opens again, and ``on_open`` (the adapter's REST resync) runs before the next update is taken as data.
``force_reconnect`` ends a pending watch call and a pending ``on_open`` alike (a resync that never answers
must not leave the stream SYNCING for good). An update ``on_update`` cannot read is one bad update, counted
and logged like a malformed frame, not a dropped connection.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Generic, TypeVar

from liqwatch.clock import Clock
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.rest import AuthError
from liqwatch.redact import redact

log = logging.getLogger(__name__)
T = TypeVar("T")


class WatchLoopStream(Generic[T]):
    def __init__(
        self,
        name: str,
        watch: Callable[[], Awaitable[T]],
        on_update: Callable[[T, float, datetime], None],
        on_open: Callable[[], Awaitable[None]],
        on_down: Callable[[str], None],
        clock: Clock,
        options: FeedOptions,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        backoff: Backoff | None = None,
        idle_timeout_s: Callable[[], float] | None = None,
    ) -> None:
        """``on_open``: the connection is (re)opened (subscribe the channels, resync over REST); it raises
        like ``watch`` does. ``on_update``: one update, with its monotonic and wall receive times.
        ``idle_timeout_s``: how long one call may take, asked before each (default ``options.idle_timeout_s``):
        a loop whose call is a poll paced slower than that (a rate limit's) says so here."""
        self.name = name
        self._watch = watch
        self._on_update = on_update
        self._on_open = on_open
        self._on_down = on_down
        self._clock = clock
        self._opts = options
        self._sleep = sleep
        self.backoff = backoff or Backoff(options.backoff_base_s, 2.0, options.backoff_cap_s)
        self.opened_at: float | None = None
        self.connects = 0
        self.updates = 0
        self.bad_updates = 0
        self.delays: list[float] = []
        self._idle_timeout_s = idle_timeout_s or (lambda: options.idle_timeout_s)
        self._call: asyncio.Future[None] | None = None  # the pending watch call or on_open
        self._reconnect_reason: str | None = None

    @property
    def connected(self) -> bool:
        return self.opened_at is not None

    @property
    def renewing(self) -> bool:
        return False

    def renew(self, reason: str) -> bool:
        return False  # a library's connection renews itself, or drops and is reopened by ``run``

    def force_reconnect(self, reason: str) -> None:
        self._reconnect_reason = reason
        if self._call is not None:
            self._call.cancel()

    async def run(self) -> None:
        while True:
            reason = await self._one_connection()
            self.opened_at = None
            self._on_down(reason)
            delay = self.backoff.next_delay()
            self.delays.append(delay)
            del self.delays[:-100]
            await self._sleep(delay)

    async def _one_connection(self) -> str:
        self._reconnect_reason = None
        try:
            self.opened_at = self._clock.monotonic()
            self.connects += 1
            if not await self._cancellable(self._on_open(), None):
                return self._reconnect_reason or "reconnect asked"
            while True:
                update = await self._next()
                if update is None:
                    return self._reconnect_reason or "reconnect asked"
                self.updates += 1
                if self._clock.monotonic() - self.opened_at >= self._opts.healthy_after_s:
                    self.backoff.reset()
                try:
                    self._on_update(update[0], self._clock.monotonic(), self._clock.now())
                except Exception as exc:  # one bad update, as a malformed frame: the connection is fine
                    self.bad_updates += 1
                    log.warning("%s: update not applied (%d so far): %s", self.name, self.bad_updates,
                                redact(str(exc)) or type(exc).__name__)
        except AuthError:
            raise  # the credentials are refused: the adapter disables the account
        except TimeoutError:
            return f"no update for {self._idle_timeout_s():g} s"
        except Exception as exc:  # whatever the library raises for a dropped connection
            return f"watch failed: {redact(str(exc)) or type(exc).__name__}"

    async def _next(self) -> tuple[T] | None:
        """The next update (in a 1-tuple: an update may be None), or None when a reconnect was asked."""
        box: list[T] = []

        async def call() -> None:
            box.append(await self._watch())

        if not await self._cancellable(call(), self._idle_timeout_s()):
            return None
        return (box[0],)

    async def _cancellable(self, aw: Awaitable[None], timeout_s: float | None) -> bool:
        """Await ``aw`` as a task ``force_reconnect`` can cancel: False when it did. A CancelledError that
        is neither ours nor a cancellation of ``run`` (the library's own) is raised as a dropped connection."""
        call = asyncio.ensure_future(aw)
        self._call = call
        try:
            async with asyncio.timeout(timeout_s):
                await call
            return True
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # run() itself is cancelled (or the timeout fired: it turns this into TimeoutError)
            if self._reconnect_reason is not None and call.cancelled():
                return False
            raise ConnectionError("the watch call was cancelled by the library") from None
        finally:
            self._call = None
            if not call.done():
                call.cancel()
