"""Number and time formatting the way the exchanges print them on the wire."""

from __future__ import annotations

import math
from datetime import datetime


def fixed(value: float, decimals: int) -> str:
    """A decimal string with exactly ``decimals`` places; never ``-0.000`` (exchanges print no negative zero)."""
    text = f"{value:.{decimals}f}"
    # Every candle price of the emulator's kline answers comes here: ``strip`` leaves nothing of a zero only.
    return text[1:] if text[0] == "-" and not text.strip("-0.") else text


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
    magnitude = math.floor(math.log10(abs(value)))
    return fixed(value, max(8, min(18, significant - 1 - magnitude)))


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
    """A Hyperliquid price string: 5 significant figures, at most ``max_decimals`` decimals, e.g. "60123.0"."""
    text = trimmed(value, sig_decimals(value, 5, max_decimals))
    return text if "." in text else text + ".0"
