"""Tolerant readers for wire values: exchanges send numbers as strings, and types drift."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

# Plausibility bounds shared by every exchange's wire checks. A finite number can still be absurd: a size of
# 1e306 or a mark of 1.7e308 overflows every product it enters (notional, PnL) to inf and the risk to NaN.
#: A position's size times its price beyond this is not a position: it is more than the open interest of any
#: perpetual market (the largest, BTC, is below 1e11 USD across all exchanges).
MAX_NOTIONAL = 1e12
#: A mark more than this factor above or below the last mark applied (a REST mark or a frame) is no move of a
#: market within one frame: mark prices are index-smoothed and move per second by a small fraction, and even a
#: crash to a tenth takes minutes, during which marks keep arriving.
MARK_MOVE_LIMIT = 10.0
#: A funding rate beyond this fraction per interval either way is no rate: the exchanges we watch cap it at a
#: few percent per interval at most, and an absurd one (1e300) makes the next funding payment shown (size x
#: price x rate) absurd or infinite.
MAX_FUNDING_RATE = 1.0


class WireError(ValueError):
    pass


def plausible_notional(size: float, price: float, what: str) -> None:
    """Refuse (WireError) a size and price whose product is not a finite, plausible notional."""
    notional = abs(size) * abs(price)
    if not (math.isfinite(notional) and notional <= MAX_NOTIONAL):
        raise WireError(f"{what}: size {size:g} x price {price:g} is not a plausible notional "
                        f"(limit {MAX_NOTIONAL:g})")


def plausible_amount(value: float | None, what: str, non_negative: bool = False) -> float | None:
    """Refuse (WireError) an account amount (a free margin, a withdrawable amount) beyond ``MAX_NOTIONAL``
    either way, or below 0 where the exchange defines it as an amount it lets go (``non_negative``): no
    account holds more than every market's open interest, and a negative withdrawal is none."""
    if value is None:
        return None
    if abs(value) > MAX_NOTIONAL:
        raise WireError(f"{what} {value:g} is not a plausible amount (limit {MAX_NOTIONAL:g})")
    if non_negative and value < 0:
        raise WireError(f"{what} {value:g} is below 0: not an amount that can be withdrawn")
    return value


def plausible_break_even(value: float, entry: float, what: str) -> None:
    """Refuse (WireError) a break-even price that is not > 0 or lies more than ``MARK_MOVE_LIMIT`` times away
    from the entry price: it is the entry moved by the position's fees, a fraction of a percent."""
    if not (value > 0 and math.isfinite(value)):
        raise WireError(f"{what} {value:g} is not > 0")
    if entry > 0 and not (entry / MARK_MOVE_LIMIT <= value <= entry * MARK_MOVE_LIMIT):
        raise WireError(f"{what} {value:g} is more than x{MARK_MOVE_LIMIT:g} away from the entry price "
                        f"{entry:g}: not a plausible break-even")


def implausible_mark(mark: float, reference: float | None) -> str | None:
    """Why ``mark`` cannot be a market's next mark after ``reference`` (the last one applied), or None."""
    if not (mark > 0 and math.isfinite(mark)):
        return f"mark price {mark!r} is not > 0"
    if reference is not None and reference > 0 and not (
            reference / MARK_MOVE_LIMIT <= mark <= reference * MARK_MOVE_LIMIT):
        return (f"mark price {mark:g} is more than x{MARK_MOVE_LIMIT:g} away from the last mark {reference:g}: "
                "not a plausible move in one frame")
    return None


def implausible_rate(rate: float | None) -> str | None:
    """Why ``rate`` cannot be a market's funding rate per interval, or None (None: the frame carries none)."""
    if rate is not None and not -MAX_FUNDING_RATE <= rate <= MAX_FUNDING_RATE:
        return f"funding rate {rate:g} is beyond +-{MAX_FUNDING_RATE:g} per interval: not a plausible rate"
    return None


def num(obj: Any, key: str) -> float:
    try:
        v = obj[key]
    except (KeyError, TypeError, IndexError):
        raise WireError(f"missing field {key!r}") from None
    # A JSON true or false is no number on any exchange's wire, though float() would read it as 1 or 0.
    if isinstance(v, bool):
        raise WireError(f"field {key!r} is a boolean, not a number")
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
