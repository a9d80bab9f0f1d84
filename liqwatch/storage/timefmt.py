"""Times in the database are Unix seconds (REAL): cheap range queries and retention; ISO 8601 outside."""

from __future__ import annotations

from datetime import UTC, datetime


def to_ts(when: datetime) -> float:
    if when.tzinfo is None:
        raise ValueError("times must be timezone-aware")
    return when.timestamp()


def from_ts(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def opt_ts(when: datetime | None) -> float | None:
    return None if when is None else to_ts(when)


def opt_dt(ts: float | None) -> datetime | None:
    return None if ts is None else from_ts(ts)


def iso(ts: float | None) -> str | None:
    """``2026-05-01T12:00:00.000Z``, or None."""
    if ts is None:
        return None
    return from_ts(ts).isoformat(timespec="milliseconds").replace("+00:00", "Z")


_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0}


def parse_duration(text: str) -> float:
    """``90s``, ``15m``, ``24h``, ``7d``, ``2w`` (a bare number is seconds) -> seconds; ValueError otherwise."""
    t = text.strip().lower()
    unit = t[-1:] if t[-1:] in _UNITS else "s"
    number = t[:-1] if t[-1:] in _UNITS else t
    try:
        value = float(number)
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 15m, 24h, 7d)") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ValueError(f"a duration must be positive: {text!r}")
    return value * _UNITS[unit]
