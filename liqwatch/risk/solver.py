"""Solve "equity = maintenance margin" for the price of one symbol, exactly, across tier boundaries.

Every exchange's liquidation price here is the root of a function that is linear in the price between
tier boundaries:

    f(P) = base + sum_j [ s_j*Q_j*(P - EP_j) - fixed_j - Q_j*P*(mmr_j(Q_j*P) + extra_j) + amount_j(Q_j*P) ]

``base`` is what does not move with this symbol's price: for a cross position, the wallet plus the other
positions' PnL minus their maintenance margin (Binance's WB - TMM1 + UPNL1); for an isolated one, its margin.
Enumerating the tier intervals and solving each linear piece is Binance's "bracket self-consistency loop"
made exhaustive, and also works for the two legs of a hedge-mode symbol whose tiers change at different prices.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from liqwatch.tiers import TierTable

_REL_EPS = 1e-12


@dataclass(frozen=True, slots=True)
class Leg:
    """A position whose PnL (and possibly margin) moves with the solved price.

    ``tiers`` None means the maintenance margin does not depend on the price (Bybit evaluates it at
    entry): then ``fixed_mm`` carries it.
    """

    sign: int
    size: float
    entry_price: float
    tiers: TierTable | None = None
    extra_rate: float = 0.0
    fixed_mm: float = 0.0


def _piece(base: float, legs: Sequence[Leg], probe: float) -> tuple[float, float]:
    """Coefficients (a, b) of f(P) = a + b*P on the tier interval containing ``probe``."""
    a = base
    b = 0.0
    for leg in legs:
        a -= leg.sign * leg.size * leg.entry_price + leg.fixed_mm
        b += leg.sign * leg.size
        if leg.tiers is not None:
            tier = leg.tiers.tier_for(leg.size * probe)
            a += tier.maint_amount
            b -= leg.size * (tier.mmr + leg.extra_rate)
        else:
            b -= leg.size * leg.extra_rate
    return a, b


def _breakpoints(legs: Sequence[Leg]) -> list[float]:
    points: set[float] = set()
    for leg in legs:
        if leg.tiers is None:
            continue
        for floor in leg.tiers.floors[1:]:
            points.add(floor / leg.size)
    return sorted(points)


def solve_price(base: float, legs: Sequence[Leg], reference: float) -> float | None:
    """The positive root of f nearest to ``reference`` (the current mark), or None if there is none."""
    if not legs:
        return None
    edges = [0.0, *_breakpoints(legs), float("inf")]
    roots: list[float] = []
    prev_end: float | None = None  # f at the end of the previous interval, to catch jumps over zero
    for lo, hi in pairwise(edges):
        probe = (lo * 2.0 if lo > 0 else 1.0) if hi == float("inf") else (lo + hi) / 2.0
        a, b = _piece(base, legs, probe)
        start = a + b * lo
        if prev_end is not None and prev_end * start < 0:
            # A tier table whose amounts do not follow the recurrence makes the margin jump at a boundary:
            # the margin requirement is crossed at the boundary itself.
            roots.append(lo)
        if b != 0.0:
            p = -a / b
            tol = _REL_EPS * max(abs(lo), abs(p), 1.0)
            if lo - tol <= p < hi + tol and p > 0:
                roots.append(p)
        prev_end = a + b * hi if hi != float("inf") else None
    if not roots:
        return None
    return min(roots, key=lambda p: (abs(p - reference), p))


def equity_minus_margin(base: float, legs: Sequence[Leg], price: float) -> float:
    """f(price): positive while the position is safe (the property tests check solutions with it)."""
    a, b = _piece(base, legs, price)
    return a + b * price
