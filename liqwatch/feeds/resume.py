"""After a suspend: the listen key, the sockets and the state are checked and resynced.

On Linux the monotonic clock does not count a suspend, and freshness, the keepalive timer and the sockets'
idle limit all run on it: after an hour asleep, data would still look seconds old, the keepalive not due,
the sockets (long dead on the exchange's side) open. The wall clock does count it. So at every supervisor
tick the two clocks' advances are compared; when the wall clock ran ahead by more than ``SUSPEND_THRESHOLD_S``
the exchange's clock is measured again (a REST snapshot): if it moved with ours, the process was asleep and
everything is resynced; if it did not, only our wall clock was stepped (NTP, a user), which the measured
offset already absorbs, and nothing else is done. While that check runs, no channel is LIVE: what it shows
may be an hour old.

A long pause that the monotonic clock does count (SIGSTOP, a blocked loop) needs nothing here: data ages,
the keepalive timer and the idle limit see it as it is.
"""

from __future__ import annotations

import logging
from collections.abc import Coroutine
from datetime import datetime
from typing import TYPE_CHECKING, Any

from liqwatch.clock import Clock
from liqwatch.feed_channel import Channel, ChannelState
from liqwatch.feeds.rest import AuthError, RestError

if TYPE_CHECKING:
    from liqwatch.feeds.adapter import FeedAdapter

log = logging.getLogger(__name__)

#: Wall time ahead of monotonic time over one tick beyond this is a suspend (or a step of the wall clock).
SUSPEND_THRESHOLD_S = 10.0
#: The detail of a channel set aside while the exchange's clock is checked.
_CHECKING = "checking after a "


class SuspendDetector:
    """Fed at each supervisor tick; says how long the process was suspended since the last tick, if it was."""

    def __init__(self, clock: Clock, threshold_s: float = SUSPEND_THRESHOLD_S) -> None:
        self._clock = clock
        self._threshold_s = threshold_s
        self._last: tuple[datetime, float] | None = None

    def tick(self) -> float | None:
        wall, mono = self._clock.now(), self._clock.monotonic()
        last, self._last = self._last, (wall, mono)
        if last is None:
            return None
        lost = (wall - last[0]).total_seconds() - (mono - last[1])
        return lost if lost > self._threshold_s else None


def resync_after_suspend(adapter: FeedAdapter, lost_s: float) -> Coroutine[Any, Any, None]:
    """``lost_s`` of wall time went by unseen by the monotonic clock: a suspend, or a step of the wall clock.
    At once (before the returned check runs), every LIVE channel of the account goes SYNCING: after a
    suspend its data may be ``lost_s`` old while its age, on the monotonic clock, says seconds."""
    detail = f"{_CHECKING}{lost_s:.0f} s gap (suspended?)"
    # Those set aside by a check this one replaces (a second gap while it ran) are set aside by this one.
    checking = [ch for ch in adapter.store.channels(adapter.account.name) if ch.state is ChannelState.LIVE
                or (ch.state is ChannelState.SYNCING and ch.detail.startswith(_CHECKING))]
    for ch in checking:
        ch.resyncing(detail)
    return _check_and_resync(adapter, lost_s, checking)


async def _check_and_resync(adapter: FeedAdapter, lost_s: float, checking: list[Channel]) -> None:
    """The exchange's clock tells a suspend from a step of our wall clock; after a suspend, the adapter checks
    its listen key (``on_resume``), reconnects every socket (each reopens with a REST resync before it is
    LIVE again). After a step, the channels set aside are LIVE again as they were (nothing was lost)."""
    name = adapter.account.name
    before = adapter.server_clock.offset_s
    try:
        await adapter.fetch_snapshot()  # re-measures the exchange's clock (not applied: the resync will be)
        stepped = abs(adapter.server_clock.offset_s - before) > lost_s / 2
    except AuthError as exc:
        adapter.key_refused(exc)
        return
    except RestError as exc:  # cannot tell: resync, which costs a reconnect, rather than trust stale sockets
        log.info("%s: exchange clock unreadable after a %.0f s gap (%s)", name, lost_s, exc)
        stepped = False
    if stepped:
        log.info("%s: the wall clock stepped %.0f s ahead (the exchange's did not): no resync needed", name, lost_s)
        now = adapter.clock.monotonic()
        for ch in checking:
            if ch.state is ChannelState.SYNCING and ch.detail.startswith(_CHECKING):  # not moved on since
                ch.synced(now)
        return
    log.warning("%s: resumed after %.0f s suspended: checking the listen key, reconnecting, resyncing", name, lost_s)
    adapter.suspends += 1
    await adapter.on_resume(lost_s)
    for stream in adapter.streams:
        stream.force_reconnect(f"resumed after {lost_s:.0f} s suspended")
