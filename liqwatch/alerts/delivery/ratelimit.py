"""A sliding-window rate limit per channel (monotonic seconds)."""

from __future__ import annotations

from collections import deque

WINDOW_S = 60.0


class RateLimiter:
    def __init__(self, per_minute: int) -> None:
        if per_minute < 1:
            raise ValueError("per_minute must be >= 1")
        self.per_minute = per_minute
        self._sent: deque[float] = deque()

    def _expire(self, now: float) -> None:
        while self._sent and now - self._sent[0] >= WINDOW_S:
            self._sent.popleft()

    def allow(self, now: float) -> bool:
        """Take a slot if one is free."""
        self._expire(now)
        if len(self._sent) >= self.per_minute:
            return False
        self._sent.append(now)
        return True

    def wait_s(self, now: float) -> float:
        """Seconds until a slot frees up (0 if one is free)."""
        self._expire(now)
        if len(self._sent) < self.per_minute:
            return 0.0
        return max(0.0, WINDOW_S - (now - self._sent[0]))
