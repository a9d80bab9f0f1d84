"""Number and time formatting for the panes: compact, fixed in meaning, and stable from one tick to the
next (a value that did not change must format to the same text, so its cell is not repainted)."""

from __future__ import annotations

import math

NA = "—"
#: A figure a generic (ccxt) account's exchange does not report: never guessed with another exchange's formula.
NONE_GIVEN = "n/a (exchange gives none)"


def _bad(x: float | None) -> bool:
    return x is None or not math.isfinite(x)


def price(x: float | None) -> str:
    if x is None or _bad(x):
        return NA
    a = abs(x)
    if a >= 10_000:
        return f"{x:,.1f}"
    if a >= 100:
        return f"{x:,.2f}"
    if a >= 1:
        return f"{x:,.4f}"
    return f"{x:.6f}"


def money(x: float | None, signed: bool = False) -> str:
    """Amounts in the settle currency: two decimals below a million, then compact."""
    if x is None or _bad(x):
        return NA
    if abs(x) >= 1_000_000:
        return compact(x, signed)
    return f"{x:+,.2f}" if signed else f"{x:,.2f}"


def compact(x: float | None, signed: bool = False) -> str:
    if x is None or _bad(x):
        return NA
    sign = "+" if signed and x > 0 else ""
    a = abs(x)
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if a >= limit:
            return f"{sign}{x / limit:.2f}{suffix}"
    return f"{sign}{x:.0f}" if x == int(x) else f"{sign}{x:.2f}"


def size(x: float | None) -> str:
    if x is None or _bad(x):
        return NA
    return f"{x:,.4f}".rstrip("0").rstrip(".") if abs(x) < 1e6 else compact(x)


def pct(x: float | None, digits: int = 2, signed: bool = False) -> str:
    if x is None or _bad(x):
        return NA
    return f"{x:+.{digits}f}%" if signed else f"{x:.{digits}f}%"


def ratio_pct(x: float | None) -> str:
    """A ratio (0.0123) as a percentage (1.23%)."""
    return NA if x is None or _bad(x) else pct(x * 100.0)


def sigma(x: float | None) -> str:
    return NA if x is None or _bad(x) else f"{x:.1f}σ"


def risk(x: float | None) -> str:
    return NA if x is None or _bad(x) else f"{x:.2f}"


def rate(x: float | None) -> str:
    return NA if x is None or _bad(x) else f"{x * 100:+.4f}%"


def leverage(x: float | None) -> str:
    return NA if x is None or _bad(x) else f"{x:g}x"


def age(seconds: float | None) -> str:
    """Whole seconds, so an age changes its text at most once a second."""
    if seconds is None or _bad(seconds):
        return NA
    s = max(0, int(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    if s < 86400:
        return f"{s // 3600}h{s % 3600 // 60:02d}m"
    return f"{s // 86400}d{s % 86400 // 3600:02d}h"


def short_age(seconds: float | None) -> str:
    """At most four characters: 45s, 15m, 3h, 2d (whole units, rounded down)."""
    if seconds is None or _bad(seconds):
        return NA
    s = max(0, int(seconds))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if s >= size:
            return f"{s // size}{unit}"
    return f"{s}s"


def countdown(seconds: float | None) -> str:
    if seconds is None or _bad(seconds):
        return NA
    s = max(0, math.ceil(seconds))
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m:02d}:{sec:02d}"


_EIGHTHS = " ▏▎▍▌▋▊▉"


def gauge(fraction: float | None, width: int) -> str:
    """A horizontal bar in eighths of a cell; ``fraction`` 1.0 fills it (risk 1.0 = liquidation)."""
    if fraction is None or _bad(fraction):
        return "?" * width
    f = min(max(fraction, 0.0), 1.0) * width
    full = int(f)
    part = int((f - full) * 8)
    bar = "█" * full + (_EIGHTHS[part] if full < width and part else "")
    return bar + "·" * (width - len(bar))


def relative_diff(a: float | None, b: float | None) -> float | None:
    if a is None or b is None or _bad(a) or _bad(b) or b == 0:
        return None
    return abs(a - b) / abs(b)


def quote_distance(x: float | None, at: float | None = None) -> str:
    """A distance to liquidation in the quote currency (a price move), to the precision its price is shown
    at (``at``, the mark: 55.95 for an ETH at 2,971.61, not 55.9465), a sign only once past it (negative)."""
    if x is None or _bad(x):
        return NA
    if at is None or _bad(at):
        return price(x)
    a = abs(at)
    decimals = 1 if a >= 10_000 else 2 if a >= 100 else 4 if a >= 1 else 6
    return f"{x:,.{decimals}f}"


def multiple(x: float | None) -> str:
    """A leverage figure computed from the account (notional / equity): two decimals, then fewer."""
    if x is None or _bad(x):
        return NA
    return f"{x:.2f}x" if abs(x) < 100 else f"{x:.0f}x"
