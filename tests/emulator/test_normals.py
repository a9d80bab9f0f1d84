"""``gauss_draws`` is ``count`` calls of ``Random.gauss()``: the same floats bit for bit, and the generator left
in the same state (the next draws of either kind agree)."""

from __future__ import annotations

import random

import pytest

from liqwatch.emulator.normals import gauss_draws


@pytest.mark.parametrize("count", [0, 1, 2, 3, 10, 2185, 2186])
def test_the_draws_are_gauss_calls_exactly(count: int) -> None:
    for seed in range(50):
        batch, single = random.Random(f"normals:{seed}"), random.Random(f"normals:{seed}")
        drawn = gauss_draws(batch, count)
        expected = [single.gauss() for _ in range(count)]
        assert [x.hex() for x in drawn] == [x.hex() for x in expected]
        assert batch.gauss().hex() == single.gauss().hex()  # a pending sine draw is handed on
        assert batch.random() == single.random()


def test_a_generator_with_a_pending_draw_gives_it_first() -> None:
    batch, single = random.Random(7), random.Random(7)
    batch.gauss(), single.gauss()
    assert [x.hex() for x in gauss_draws(batch, 5)] == [single.gauss().hex() for _ in range(5)]
    assert batch.random() == single.random()
