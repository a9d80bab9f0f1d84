"""``hl_px`` written out in one function is the composition it replaced, character for character."""

from __future__ import annotations

import math
import random

from liqwatch.emulator.fmt import hl_px, sig_decimals, trimmed


def _composed(value: float, max_decimals: int) -> str:
    text = trimmed(value, sig_decimals(value, 5, max_decimals))
    return text if "." in text else text + ".0"


def test_hl_px_is_trimmed_to_five_significant_figures() -> None:
    rng = random.Random(20261203)
    specials = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-12, -1e-12, 5e-7, 0.00049999, 1.0, 9.99995,
                99999.5, 100000.0, 123456789.0, 60123.0, 3010.0, -0.00001, -0.4, 1e300, 5e-324]
    values = specials + [rng.choice([1, -1]) * 10 ** rng.uniform(-9, 9) for _ in range(20_000)]
    values += [round(v, rng.randrange(0, 8)) for v in values[len(specials):len(specials) + 5_000]]
    for max_decimals in range(-1, 10):
        for value in values:
            assert hl_px(value, max_decimals) == _composed(value, max_decimals), (value, max_decimals)
