"""``hl_px`` and ``precise_price``, each written out in one function, are the compositions they replaced,
character for character."""

from __future__ import annotations

import math
import random

from liqwatch.emulator.fmt import fixed, hl_px, precise_price, sig_decimals, trimmed


def _composed(value: float, max_decimals: int) -> str:
    text = trimmed(value, sig_decimals(value, 5, max_decimals))
    return text if "." in text else text + ".0"


def _precise(value: float, significant: int = 13) -> str:
    if value == 0 or not math.isfinite(value):
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    return fixed(value, max(8, min(18, significant - 1 - magnitude)))


def _values() -> list[float]:
    rng = random.Random(20261203)
    specials = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-12, -1e-12, 5e-7, 0.00049999, 1.0, 9.99995,
                99999.5, 100000.0, 123456789.0, 60123.0, 3010.0, -0.00001, -0.4, 1e300, 5e-324]
    values = specials + [rng.choice([1, -1]) * 10 ** rng.uniform(-9, 9) for _ in range(20_000)]
    values += [round(v, rng.randrange(0, 8)) for v in values[len(specials):len(specials) + 5_000]]
    return values + [-v for v in values]


def test_hl_px_is_trimmed_to_five_significant_figures() -> None:
    values = _values()
    for max_decimals in range(-1, 10):
        for value in values:
            assert hl_px(value, max_decimals) == _composed(value, max_decimals), (value, max_decimals)


def test_precise_price_is_fixed_to_thirteen_significant_figures() -> None:
    for value in _values():
        for significant in (5, 13, 20):
            assert precise_price(value, significant) == _precise(value, significant), (value, significant)
