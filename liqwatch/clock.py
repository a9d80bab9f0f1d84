"""Injectable clocks: wall time for exchange-facing timestamps, monotonic time for freshness."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """Timezone-aware UTC wall time."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps; only differences are meaningful."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to, for tests and replays."""

    def __init__(self, start: datetime | None = None, monotonic_start: float = 1000.0) -> None:
        start = start or datetime(2026, 1, 1, tzinfo=UTC)
        if start.tzinfo is None:
            raise ValueError("FakeClock needs a timezone-aware start time")
        self._now = start.astimezone(UTC)
        self._mono = monotonic_start

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("a clock does not run backwards; use jump_wall() for wall-clock skew")
        self._now += timedelta(seconds=seconds)
        self._mono += seconds

    def jump_wall(self, seconds: float) -> None:
        """Skew the wall clock alone, as NTP or a user would; monotonic time is unaffected."""
        self._now += timedelta(seconds=seconds)


class OffsetClock:
    """The system clock plus an adjustable offset: time runs for real, and tests (or a replay) can jump it
    forward to reach long timers (a 30-minute keepalive, a 24-hour connection limit) at once."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._wall_offset = 0.0

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self._offset + self._wall_offset)

    def monotonic(self) -> float:
        return time.monotonic() + self._offset

    def jump(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("monotonic time does not run backwards")
        self._offset += seconds

    def jump_wall(self, seconds: float) -> None:
        """Skew the wall clock alone, either way, as NTP or a user would; monotonic time is unaffected."""
        self._wall_offset += seconds
