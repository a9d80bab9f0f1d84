"""Make-before-break: while a socket's replacement is open beside it, each frame is handed on once.

Both sockets carry the same subscriptions for a short overlap, so the exchange sends most frames twice, once
on each. A frame is admitted from one socket unless the other socket already delivered the same bytes and
that copy has not been matched yet (a multiset per socket, so two identical frames in a row on both sockets
are two frames). Frames that only the old socket carries (before the new one is subscribed) or only the new
one (after) pass, so nothing is lost and nothing is applied twice; the store's own order rules (nothing older
than what was applied) still hold across the two sockets.
"""

from __future__ import annotations

import asyncio
from collections import Counter


class Handover:
    def __init__(self, old: object, new: object) -> None:
        self.old = old
        self.new = new
        self._pending: dict[int, Counter[str]] = {id(old): Counter(), id(new): Counter()}
        self.duplicates = 0
        #: Set once the renewal stops reading the new socket: the run loop may read it from then on.
        self.reading_done = asyncio.Event()

    def admit(self, ws: object, frame: str) -> bool:
        """True if ``frame`` from ``ws`` is to be handed on, False for the second copy of a frame."""
        other = self._pending.get(id(self.new) if ws is self.old else id(self.old))
        mine = self._pending.get(id(ws))
        if other is None or mine is None:
            return True  # neither socket of this hand-over
        if other[frame] > 0:
            other[frame] -= 1
            if other[frame] == 0:
                del other[frame]
            self.duplicates += 1
            return False
        mine[frame] += 1
        return True
