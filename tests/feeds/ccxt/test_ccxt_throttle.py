"""The throttle of a ccxt instance liqwatch makes (``ccxt_instance.pace_throttle``): it keeps requests inside the
exchange's ``rateLimit`` as ccxt's own does, but looks at its token bucket a few times per ``rateLimit`` while a
request waits, not every millisecond (ccxt's default: a loop at 1 kHz for as long as anything waits its turn).

ccxt's own throttler runs here on a fake clock: its ``time()`` and its sleeps are this test's, so what is checked
is when it lets each request out and how often it woke up, not how long anything took."""

from __future__ import annotations

import asyncio
import types
from typing import Any

import pytest

from liqwatch.feeds import ccxt_instance

from .support import account

IDS = ("bybit", "okx", "binanceusdm", "hyperliquid")
#: Costs of the queued requests: ccxt weighs an endpoint by its cost (tokens), 1 by default.
COSTS = (None, 1, 1, 3, 1, 2, None, 1, 5, 1)


class FakeClock:
    def __init__(self) -> None:
        self.now_s = 1_000.0
        self.sleeps = 0

    def time(self) -> float:
        return self.now_s

    async def sleep(self, delay: float, *args: Any, **kwargs: Any) -> None:
        if delay > 0:
            self.sleeps += 1
            self.now_s += delay
        await asyncio.sleep(0)


def _raw(ccxt_id: str) -> Any:
    ex = ccxt_instance.create_exchange(account(ccxt_id, "http://127.0.0.1:9"), enable_rate_limit=True)
    return object.__getattribute__(ex, "_exchange")  # the ccxt instance behind the read-only wrapper


@pytest.mark.parametrize("ccxt_id", IDS)
async def test_the_throttle_keeps_the_rate_limit_and_looks_a_few_times_per_rate_limit(
        ccxt_id: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from ccxt.async_support.base import throttler as throttler_module

    raw = _raw(ccxt_id)
    try:
        rate_ms = float(raw.rateLimit)
        assert rate_ms / 1000 / ccxt_instance.THROTTLE_LOOKS_PER_RATE_LIMIT > ccxt_instance.THROTTLE_MIN_DELAY_S
        # The sockets' throttles are made later from the same bucket settings.
        assert raw.tokenBucket["delay"] == pytest.approx(rate_ms / 1000 / ccxt_instance.THROTTLE_LOOKS_PER_RATE_LIMIT)
        assert raw.tokenBucket["refillRate"] == pytest.approx(1 / rate_ms)  # ccxt's rate, unchanged
        clock = FakeClock()
        monkeypatch.setattr(throttler_module, "time", clock.time)
        fake_asyncio = types.SimpleNamespace(sleep=clock.sleep, Future=asyncio.Future,
                                             ensure_future=asyncio.ensure_future)
        monkeypatch.setattr(throttler_module, "asyncio", fake_asyncio)
        released: list[float] = []
        futures = []
        for cost in COSTS:
            future = raw.throttler(cost)
            future.add_done_callback(lambda _f: released.append(clock.now_s))
            futures.append(future)
        await asyncio.wait_for(asyncio.gather(*futures), 10)
    finally:
        await raw.close()
    costs = [1.0 if c is None else float(c) for c in COSTS]
    t0 = released[0]
    for k in range(1, len(released)):
        # What left before request k costs at most the time since the first (at the rate) plus the bucket's
        # capacity of 1: the exchange's rateLimit is kept.
        assert (released[k] - t0) * 1000 >= (sum(costs[:k]) - 1) * rate_ms - 1e-6, (k, released)
    # Nothing is held much longer than the rate asks: a quarter of a rateLimit late at most, per request.
    assert (released[-1] - t0) * 1000 <= sum(costs[:-1]) * rate_ms * 1.25 + rate_ms
    # And the bucket was looked at a few times per rateLimit waited (ccxt's 1 ms: rate_ms times, 20-110).
    assert clock.sleeps <= (sum(costs[:-1]) + 1) * (ccxt_instance.THROTTLE_LOOKS_PER_RATE_LIMIT + 1), clock.sleeps
