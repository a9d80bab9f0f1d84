"""The socket reader's one idle timer (liqwatch.feeds.idle_watchdog): a receive that waits its whole ``wait``
times out, a newer receive moves the deadline instead, and a cancellation that is not the watchdog's goes
through. The reader's use of it over real sockets (pings, half-open) is in tests/feeds/contract/test_sockets.py."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.feeds.idle_watchdog import NOT_RECEIVING, IdleWatchdog


async def _receive_nothing(dog: IdleWatchdog, wait: float) -> str:
    """A reader whose receive never completes: what the watchdog makes of it."""
    dog.wait = wait
    dog.arm(dog.loop_time())
    try:
        await asyncio.get_running_loop().create_future()
    except asyncio.CancelledError:
        if not dog.timed_out():
            raise
        return "timed out"
    finally:
        dog.stop()
    return "received"


async def test_a_receive_that_waits_its_whole_wait_times_out_and_the_task_carries_on() -> None:
    async def reader() -> tuple[str, int]:
        outcome = await _receive_nothing(IdleWatchdog(), 0.01)
        await asyncio.sleep(0)  # not cancelled any more: the task goes on after the timeout
        task = asyncio.current_task()
        assert task is not None
        return outcome, task.cancelling()

    assert await asyncio.wait_for(reader(), 5) == ("timed out", 0)


async def test_a_cancellation_that_is_not_the_watchdogs_goes_through() -> None:
    started = asyncio.Event()

    async def reader() -> str:
        dog = IdleWatchdog()
        started.set()
        return await _receive_nothing(dog, 3600.0)

    task = asyncio.create_task(reader())
    await started.wait()
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_a_newer_receive_moves_the_deadline_and_only_an_expired_one_cancels() -> None:
    async def reader() -> tuple[bool, bool, bool]:
        dog = IdleWatchdog()
        dog.wait = 1.0
        dog.arm(dog.loop_time())
        dog._fire()  # the timer comes round while this receive is young: it moves, nothing is cancelled
        young = dog.expired
        dog.since = NOT_RECEIVING
        dog._fire()  # between receives (a pong under way): nothing is cancelled either
        busy = dog.expired
        dog.since = dog.loop_time() - 2.0  # this receive has waited past its wait
        dog._fire()
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            return young, busy, dog.timed_out()
        finally:
            dog.stop()
        return young, busy, False

    assert await asyncio.wait_for(reader(), 5) == (False, False, True)
