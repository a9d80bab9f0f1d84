"""Number and time formatting the way the exchanges print them on the wire."""

from __future__ import annotations

import math
from datetime import datetime


def fixed(value: float, decimals: int) -> str:
    """A decimal string with exactly ``decimals`` places; never ``-0.000`` (exchanges print no negative zero)."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and not any(ch not in "-0." for ch in text):
        text = text[1:]
    return text


def trimmed(value: float, decimals: int = 8) -> str:
    """Hyperliquid style: at most ``decimals`` places, trailing zeros dropped but one decimal kept."""
    text = fixed(value, decimals)
    if "." in text:
        text = text.rstrip("0")
        if text.endswith("."):
            text += "0"
    return text


def precise_price(value: float, significant: int = 13) -> str:
    """A price with enough digits that a reader can check it against an exact solve (1e-6 relative or better).

    Fixed-point, never scientific notation, because the clients parse these as plain decimals.
    """
    if value == 0 or not math.isfinite(value):
        return "0"
    decimals = significant - 1 - math.floor(math.log10(abs(value)))
    # ``fixed(value, max(8, min(18, decimals)))`` written out (four prices of every OKX candle row)
    text = f"{value:.{8 if decimals < 8 else 18 if decimals > 18 else decimals}f}"
    return text[1:] if text[0] == "-" and not text.strip("-0.") else text


def round_sig(value: float, significant: int, max_decimals: int) -> float:
    """Hyperliquid prices: ``significant`` significant figures and no more than ``max_decimals`` decimals."""
    if value == 0 or not math.isfinite(value):
        return value
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, min(max_decimals, significant - 1 - magnitude))
    return round(value, decimals)


def sig_decimals(value: float, significant: int, max_decimals: int) -> int:
    if value == 0 or not math.isfinite(value):
        return 1
    magnitude = math.floor(math.log10(abs(value)))
    return max(0, min(max_decimals, significant - 1 - magnitude))


def epoch_ms(moment: datetime) -> int:
    """Epoch milliseconds of a timezone-aware time, as every exchange here stamps its payloads."""
    if moment.tzinfo is None:
        raise ValueError("exchange timestamps need a timezone-aware time")
    return round(moment.timestamp() * 1000)


def hl_px(value: float, max_decimals: int) -> str:
    """A Hyperliquid price string: 5 significant figures, at most ``max_decimals`` decimals, e.g. "60123.0".

    ``trimmed(value, sig_decimals(value, 5, max_decimals))`` with ".0" put to a whole number, written out in
    one function: three prices of every candle row go through it (tests/emulator/test_fmt_written_out.py)."""
    if value == 0 or not math.isfinite(value):
        decimals = 1
    else:
        decimals = min(max_decimals, 4 - math.floor(math.log10(abs(value))))
        if decimals < 0:
            decimals = 0
    text = f"{value:.{decimals}f}"
    if text[0] == "-" and not text.strip("-0."):  # as ``fixed``: no negative zero
        text = text[1:]
    if "." not in text:
        return text + ".0"
    text = text.rstrip("0")
    return text + "0" if text[-1] == "." else text
