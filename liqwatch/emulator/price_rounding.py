"""How a venue rounds its prices, chosen once per market: every mark goes through it, and so do the three
prices of each of the ~2,200 history candles of a market, so the venue branch is not taken per price."""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import repeat

from liqwatch.emulator.fmt import round_sig


class PriceRounding:
    """Prices to ``decimals`` places or, with ``significant``, to that many significant figures and at most
    ``decimals`` places (Hyperliquid). ``one`` rounds a price, ``many`` a list of them, exactly as ``one``
    would each (``round`` and ``fmt.round_sig`` are the only arithmetic)."""

    __slots__ = ("many", "one")

    def __init__(self, decimals: int, significant: int | None = None) -> None:
        self.one: Callable[[float], float]
        self.many: Callable[[list[float]], list[float]]
        if significant is None:
            self.one = lambda price: round(price, decimals)
            self.many = lambda prices: list(map(round, prices, repeat(decimals)))
        else:
            self.one = lambda price: round_sig(price, significant, decimals)
            self.many = lambda prices: _round_sig_all(prices, significant, decimals)


def _round_sig_all(prices: list[float], significant: int, max_decimals: int) -> list[float]:
    """round_sig of each price, its steps done by ``map`` over the whole list (no Python frame per price)."""
    try:
        magnitudes = list(map(math.floor, map(math.log10, map(abs, prices))))
    except (ValueError, OverflowError):  # a zero or non-finite price, which round_sig passes through as it is
        return [round_sig(price, significant, max_decimals) for price in prices]
    # A market's prices span few powers of ten: round_sig's decimals are worked out once per magnitude.
    places = {mag: max(0, min(max_decimals, significant - 1 - mag)) for mag in set(magnitudes)}
    return list(map(round, prices, map(places.__getitem__, magnitudes)))
