"""Tolerant readers for wire values: exchanges send numbers as strings, and types drift."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


class WireError(ValueError):
    pass


def num(obj: Any, key: str) -> float:
    try:
        v = obj[key]
    except (KeyError, TypeError, IndexError):
        raise WireError(f"missing field {key!r}") from None
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise WireError(f"field {key!r} is not a number") from None
    if not math.isfinite(f):
        raise WireError(f"field {key!r} is not finite")
    return f


def opt_num(obj: Any, key: str) -> float | None:
    if not isinstance(obj, dict) or obj.get(key) in (None, ""):
        return None
    return num(obj, key)


def text(obj: Any, key: str) -> str:
    try:
        v = obj[key]
    except (KeyError, TypeError, IndexError):
        raise WireError(f"missing field {key!r}") from None
    if not isinstance(v, str):
        raise WireError(f"field {key!r} is not a string")
    return v


def ms_time(obj: Any, key: str) -> datetime:
    """Epoch milliseconds, as a number or (Binance's listenKeyExpired) a string."""
    try:
        return datetime.fromtimestamp(num(obj, key) / 1000.0, tz=UTC)
    except (OverflowError, OSError, ValueError):
        raise WireError(f"field {key!r} is not a time") from None


def opt_ms_time(obj: Any, key: str) -> datetime | None:
    if not isinstance(obj, dict) or obj.get(key) in (None, "", 0):
        return None
    return ms_time(obj, key)


@dataclass(frozen=True, slots=True)
class CandleClose:
    """What σ needs of a candle: when it opened and where it closed."""

    open_ms: int
    close: float


def candle_close(open_time: Any, close: Any, what: str) -> CandleClose:
    if isinstance(open_time, bool) or not isinstance(open_time, int | float) or not math.isfinite(open_time):
        raise WireError(f"{what}: open time {open_time!r} is not epoch milliseconds")
    try:
        price = float(close)
    except (TypeError, ValueError):
        raise WireError(f"{what}: close {close!r} is not a number") from None
    if not (price > 0 and math.isfinite(price)):
        raise WireError(f"{what}: close {close!r} is not a positive price")
    return CandleClose(int(open_time), price)
