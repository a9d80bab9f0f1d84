"""How far the mark is from the liquidation price, in percent and in hourly standard deviations."""

from __future__ import annotations

import math

from liqwatch.model import Side


def distance_pct(side: Side, mark: float, liquidation_price: float | None) -> float | None:
    """(mark - liq) / mark * 100 for longs, (liq - mark) / mark * 100 for shorts; negative once past."""
    if liquidation_price is None or not mark > 0:
        return None
    return side.sign * (mark - liquidation_price) / mark * 100.0


def distance_sigma(
    side: Side, mark: float, liquidation_price: float | None, sigma_hour: float | None
) -> float | None:
    """ln(mark / liq) for longs, ln(liq / mark) for shorts, in units of the mark's hourly volatility."""
    if liquidation_price is None or sigma_hour is None or not sigma_hour > 0:
        return None
    if not (mark > 0 and liquidation_price > 0):
        return None
    return side.sign * math.log(mark / liquidation_price) / sigma_hour
