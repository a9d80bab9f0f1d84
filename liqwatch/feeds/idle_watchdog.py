"""One idle timer per socket read, re-armed lazily, instead of a timeout entered and left around every receive.

``asyncio.timeout`` around each ``receive()`` creates and cancels a timer handle per frame: at thousands of
frames a second that is a large share of the hot path. Here the reader only writes the loop time at which each
receive began (``since``); the one timer, when it fires, looks at that time: if a receive began since it was
armed, it moves itself to that receive's deadline; only when a receive has really waited ``wait`` seconds does
it cancel the reader, which takes that cancellation (and only that one) as the receive's timeout. That is what
``asyncio.timeout`` does too, so aiohttp sees the same thing as before (a cancelled ``receive``).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable

#: ``since`` while the reader is not receiving (handling a frame, answering a ping): nothing to time out.
NOT_RECEIVING = math.inf


class IdleWatchdog:
    """The receive timeout of one reader task. The reader sets ``wait`` and calls ``arm`` (with the loop time)
    before each receive, sets ``since = NOT_RECEIVING`` after it, and calls ``timed_out`` on a CancelledError:
    True when the cancellation was this watchdog's (then it is no longer pending)."""

    __slots__ = ("_cancelling", "_handle", "_loop", "_reading", "_task", "expired", "loop_time", "since", "wait")

    def __init__(self, reading: Callable[[], bool] = lambda: True) -> None:
        """The watchdog of the running task's receives (its loop's time: ``loop_time``). ``reading``: whether
        the receive is waiting for data now; while it is not (aiohttp's own close handshake inside ``receive``,
        which the per-receive timeout did not cover either), the timer only looks again later."""
        self._reading = reading
        self._loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is None:
            raise RuntimeError("IdleWatchdog outside a task")
        self._task = task
        self.loop_time = self._loop.time
        self._handle: asyncio.TimerHandle | None = None
        self._cancelling = task.cancelling()  # cancellations already pending on the task are not ours
        self.since = NOT_RECEIVING
        self.wait = 0.0
        self.expired = False

    def arm(self, since: float) -> None:
        """A receive begins at loop time ``since``: make sure a timer is pending; one already pending is left
        as it is (it moves itself to this receive's deadline when it fires)."""
        self.since = since
        # A wait of 0 is none at all, as for aiohttp's receive(timeout=0).
        if not self.wait:
            return
        deadline = since + self.wait
        handle = self._handle
        if handle is not None and handle.when() > deadline:
            # A shorter wait than the pending timer's (after a ping answered, the next silence is timed from
            # the ping interval again): a timer firing later would ping late, and the exchange closes an idle
            # socket. Rare: only when the wait shrinks.
            handle.cancel()
            handle = None
        if handle is None:
            self._handle = self._loop.call_at(deadline, self._fire)

    def _fire(self) -> None:
        self._handle = None
        now = self._loop.time()
        since = self.since
        if since == NOT_RECEIVING or not self._reading():
            # Busy elsewhere (a pong under way, a close handshake): look again a wait later.
            self._handle = self._loop.call_at(now + max(self.wait, 0.01), self._fire)
        elif since + self.wait > now:
            self._handle = self._loop.call_at(since + self.wait, self._fire)  # a newer receive: its deadline
        else:
            self.expired = True
            self._task.cancel()

    def timed_out(self) -> bool:
        """Called on a CancelledError in the receive: whether it was this watchdog's timeout (swallowed: the
        task's cancellation undone), False for any other cancellation, which the reader must let through."""
        if not self.expired:
            return False
        self.expired = False
        return self._task.uncancel() <= self._cancelling

    def disarm(self) -> None:
        """No timer pending (the next ``arm`` starts one from the next receive: e.g. after a timeout, whose
        next wait may be shorter than the deadline a pending timer holds)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def stop(self) -> None:
        self.disarm()
        self.since = NOT_RECEIVING
