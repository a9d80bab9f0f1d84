"""The event loop's own health: a periodic timer's drift on the monotonic clock.

One event loop runs the sockets, the engine and the screen. A blocking call on it (a slow disk, CPU-bound
work, a sleep in a render callback) stops everything: no frame is read, no value ages on screen. Frames
that arrive meanwhile wait in the socket buffer and are read, all at once, when the loop is back, so the
time they are received at says nothing of how old they are. This monitor notices such a stall in two ways:
the timer that fires late (its drift), and, for a reader that runs before the timer catches up, a beat that
is overdue at the time of reading (``check``). A stall over ``threshold_s`` holds every channel not LIVE
until a frame received ``settle_s`` after the stall (the buffer drained) shows what is current, and is
reported (the alert) for ``report_s``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from liqwatch.clock import Clock

#: A stall longer than this is reported and holds the data (seconds).
LAG_THRESHOLD_S = 1.0

OnStall = Callable[[float, float], None]  # (lag in seconds, monotonic time until which data is held)


class LoopLag:
    def __init__(
        self,
        clock: Clock,
        *,
        interval_s: float = 0.5,
        threshold_s: float = LAG_THRESHOLD_S,
        settle_s: float = 1.0,
        report_s: float = 10.0,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not (interval_s > 0 and threshold_s > 0 and settle_s >= 0 and report_s >= 0):
            raise ValueError("loop lag: interval and threshold must be > 0, settle and report >= 0")
        self.clock = clock
        self.interval_s = interval_s
        self.threshold_s = threshold_s
        self.settle_s = settle_s
        self.report_s = report_s
        self._sleep = sleep
        self._last_beat = clock.monotonic()
        self._episode: float | None = None  # the beat after which the current stall began
        self.lag_s: float | None = None  # the longest drift of the last stall
        self.stalls = 0
        self.held_until = float("-inf")
        self._report_until = float("-inf")
        self._listeners: list[OnStall] = []
        self._running = False

    def on_stall(self, listener: OnStall) -> None:
        self._listeners.append(listener)

    async def run(self) -> None:
        """The periodic timer; runs until cancelled."""
        self._last_beat = self.clock.monotonic()
        self._running = True
        try:
            while True:
                await self._sleep(self.interval_s)
                self.beat()
        finally:
            self._running = False  # a timer that does not run is not late: ``check`` judges nothing

    def beat(self) -> None:
        """One tick of the timer: its drift is how late it fired."""
        now = self.clock.monotonic()
        self._measure(now - self._last_beat - self.interval_s, now)
        self._last_beat = now

    def check(self, now: float) -> None:
        """At read time: a beat overdue by more than the threshold is a stall the timer has not caught yet."""
        if self._running:
            self._measure(now - self._last_beat - self.interval_s, now)

    def _measure(self, drift: float, now: float) -> None:
        if drift <= self.threshold_s:
            return
        if self._episode != self._last_beat:  # a new stall, not the same one seen twice (read, then timer)
            self._episode = self._last_beat
            self.stalls += 1
            self.lag_s = drift
        else:
            self.lag_s = max(self.lag_s or 0.0, drift)
        self.held_until = max(self.held_until, now + self.settle_s)
        self._report_until = now + self.report_s
        for listener in self._listeners:
            listener(self.lag_s, self.held_until)

    def holding(self, now: float) -> bool:
        """Data received before ``held_until`` may have waited in a buffer: not to be shown as fresh."""
        return now < self.held_until

    def lag_in_effect(self, now: float) -> float | None:
        """The last stall's lag while it is reported, else None."""
        return self.lag_s if now < self._report_until else None
