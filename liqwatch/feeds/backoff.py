"""Reconnect delays: capped exponential backoff with full jitter (AWS's "full jitter").

delay_n = uniform(0, min(cap, base * factor**n)). Full jitter spreads many clients (or many of our own
streams after a shared outage) so that a recovering server sees one connection per stream, not a storm.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(
        self, base: float = 0.5, factor: float = 2.0, cap: float = 30.0, rng: random.Random | None = None
    ) -> None:
        if not (base > 0 and factor >= 1 and cap >= base):
            raise ValueError("backoff needs base > 0, factor >= 1 and cap >= base")
        self.base, self.factor, self.cap = base, factor, cap
        self.attempt = 0
        self._rng = rng or random.Random()

    def ceiling(self) -> float:
        return min(self.cap, self.base * self.factor ** min(self.attempt, 64))

    def next_delay(self) -> float:
        delay = self._rng.uniform(0.0, self.ceiling())
        self.attempt += 1
        return delay

    def reset(self) -> None:
        self.attempt = 0
