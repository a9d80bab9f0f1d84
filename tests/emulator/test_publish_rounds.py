"""The emulator's driver publishes one round per ``publish_interval``, never two for one interval: uvloop's timers
can fire up to a millisecond early, and a driver sleeping "until the next boundary" then woke just before it,
slept a few microseconds and published that boundary's round again: every frame sent twice or three times with
the same exchange time (the renewal contract test saw frames "delivered twice")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from itertools import pairwise

import pytest

from liqwatch.emulator import EmulatorServer
from liqwatch.emulator.simulation import StepResult

from .helpers import LIMIT_S, small_scenario

INTERVAL_S = 0.01


def _loops() -> list[Callable[[], asyncio.AbstractEventLoop]]:
    loops: list[Callable[[], asyncio.AbstractEventLoop]] = [asyncio.new_event_loop]
    try:
        import uvloop
    except ImportError:
        return loops
    return [*loops, uvloop.new_event_loop]


@pytest.mark.parametrize("new_loop", _loops(), ids=lambda f: f.__module__.split(".")[0])
def test_one_round_per_interval(new_loop: Callable[[], asyncio.AbstractEventLoop]) -> None:
    async def main() -> list[float]:
        emu = EmulatorServer(small_scenario(), seed=7, autorun=True, publish_interval=INTERVAL_S)
        times: list[float] = []
        enough = asyncio.Event()
        publish = emu._publish

        def stamped(result: StepResult) -> None:
            times.append(asyncio.get_running_loop().time())
            publish(result)
            if len(times) >= 60:
                enough.set()

        emu._publish = stamped  # type: ignore[method-assign]
        async with asyncio.timeout(LIMIT_S), emu:
            await enough.wait()
        return times[:60]

    with asyncio.Runner(loop_factory=new_loop) as runner:
        times = runner.run(main())
    # Each round is at a grid point after the previous round's time (one late round may come close to the next,
    # never two in a row): n rounds span more than n - 2 intervals, whatever the load. Rounds published twice
    # for one point break it.
    span = (times[-1] - times[0]) / INTERVAL_S
    assert len(times) - 1 < span + 1 + 1e-6, sorted(b - a for a, b in pairwise(times))[:5]
