"""The emulator's own liquidation prices: solve equity = maintenance margin by bisection on the price.

Deliberately independent of the engine's closed forms (``liqwatch.risk``): the tier is chosen from the
notional at each trial price, other cross positions stay at their marks, and every leg of the symbol
(both hedge legs) moves with the trial price. Comparing this with the closed forms is then a real check.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from liqwatch.tiers import TierTable

REL_TOL = 1e-12
_MAX_ITER = 400
_MAX_DOUBLINGS = 64


@dataclass(frozen=True, slots=True)
class Leg:
    """A position that moves with the trial price: signed quantity, entry, its own tier table."""

    qty: float
    entry: float
    tiers: TierTable


def margin_gap(price: float, legs: Sequence[Leg], fixed_equity: float, fixed_mm: float) -> float:
    """Equity minus maintenance margin if the legs' symbol traded at ``price``; <= 0 means liquidation."""
    equity = fixed_equity
    mm = fixed_mm
    for leg in legs:
        equity += leg.qty * (price - leg.entry)
        mm += leg.tiers.maintenance_margin(abs(leg.qty) * price)
    return equity - mm


def _slope(price: float, legs: Sequence[Leg]) -> float:
    return sum(leg.qty - abs(leg.qty) * leg.tiers.tier_for(abs(leg.qty) * price).mmr for leg in legs)


def _bisect(g: Callable[[float], float], safe: float, unsafe: float) -> float:
    """``g(safe) > 0 >= g(unsafe)``; narrows to REL_TOL of the price."""
    for _ in range(_MAX_ITER):
        if abs(safe - unsafe) <= REL_TOL * max(abs(safe), abs(unsafe)):
            break
        mid = 0.5 * (safe + unsafe)
        if mid in (safe, unsafe):
            break
        if g(mid) > 0:
            safe = mid
        else:
            unsafe = mid
    return 0.5 * (safe + unsafe)


def solve_liquidation_price(
    legs: Sequence[Leg], fixed_equity: float, fixed_mm: float, reference: float
) -> float | None:
    """The price of the legs' symbol at which equity meets maintenance margin, nearest the adverse side.

    ``reference`` is the current mark. None when no positive price liquidates (the exchanges print 0 or
    null then), or when the legs carry no net exposure.
    """
    if not legs or reference <= 0:
        return None

    def g(price: float) -> float:
        return margin_gap(price, legs, fixed_equity, fixed_mm)

    slope = _slope(reference, legs)
    if slope == 0:
        return None
    at_ref = g(reference)
    if slope > 0:
        # Losses come with a falling price.
        if at_ref > 0:
            if g(0.0) > 0:
                return None
            return _bisect(g, reference, 0.0)
        hi = reference
        for _ in range(_MAX_DOUBLINGS):
            hi *= 2.0
            if g(hi) > 0:
                return _bisect(g, hi, reference)
        return None
    # Losses come with a rising price.
    if at_ref > 0:
        hi = reference
        for _ in range(_MAX_DOUBLINGS):
            hi *= 2.0
            if g(hi) <= 0:
                return _bisect(g, reference, hi)
        return None
    if g(0.0) <= 0:
        return None
    return _bisect(g, 0.0, reference)
