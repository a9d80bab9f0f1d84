"""``fixed``, made cheaper (every candle price of the emulator's kline answers goes through it, and through it
``precise_price``, ``trimmed`` and ``hl_px``), is its first definition character for character: exactly
``decimals`` places, and never a negative zero."""

from __future__ import annotations

import math
import random

from liqwatch.emulator.fmt import fixed


def _first_definition(value: float, decimals: int) -> str:
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and not any(ch not in "-0." for ch in text):
        text = text[1:]
    return text


def _values() -> list[float]:
    rng = random.Random(20261203)
    specials = [0.0, -0.0, math.inf, -math.inf, math.nan, 1e-12, -1e-12, 5e-7, 0.00049999, 1.0, 9.99995,
                99999.5, 100000.0, 123456789.0, 60123.0, 3010.0, -0.00001, -0.4, 1e300, 5e-324]
    values = specials + [rng.choice([1, -1]) * 10 ** rng.uniform(-9, 9) for _ in range(20_000)]
    values += [round(v, rng.randrange(0, 8)) for v in values[len(specials):len(specials) + 5_000]]
    return values + [-v for v in values]


def test_fixed_is_its_first_definition() -> None:
    for value in _values():
        for decimals in (0, 1, 2, 4, 8, 18):
            assert fixed(value, decimals) == _first_definition(value, decimals), (value, decimals)
    assert fixed(-0.0001, 2) == "0.00" and fixed(-0.006, 2) == "-0.01" and fixed(-0.0, 0) == "0"
