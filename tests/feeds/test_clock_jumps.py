"""Issue 9: a jump of the local wall clock (an hour forward for a few seconds, or an hour back) must not freeze
state. liqwatch runs on an OffsetClock whose wall time the test jumps while real (and monotonic) time runs on;
the emulator keeps the true time, as an exchange would."""

from __future__ import annotations

import asyncio
import time

import orjson

from liqwatch.clock import OffsetClock
from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.store import MonitorStore
from tests.feeds.harness import FAST, eventually
from tests.feeds.ws_relay import RelayEnv, relayed

ACCOUNTS = ("binance-main", "hl-whale")
HOUR = 3600.0
# A row's age is its oldest data's: the mark (1 s pushes) or the account as last confirmed (1 s reconciliation).
YOUNG_S = 2.5


def healthy(store: MonitorStore, names: tuple[str, ...]) -> bool:
    snap = store.snapshot()
    for name in names:
        a = snap.account(name)
        if not a.fresh or not a.positions:
            return False
        if not all(p.fresh and p.age_s is not None and p.age_s < YOUNG_S for p in a.positions):
            return False
    return True


async def stays(predicate_s: float, env: RelayEnv) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + predicate_s
    while loop.time() < end:
        assert healthy(env.monitor.store, ACCOUNTS), f"not fresh or frozen: {describe(env)}"
        await asyncio.sleep(0.05)


def describe(env: RelayEnv) -> str:
    snap = env.monitor.store.snapshot()
    return "; ".join(f"{a.name} fresh={a.fresh} ages={[p.age_s for p in a.positions]}" for a in snap.accounts)


async def reconciliations(adapters: list[FeedAdapter], n: int) -> None:
    start = [a.reconcile_ok for a in adapters]
    await eventually(lambda: all(a.reconcile_ok >= s + n for a, s in zip(adapters, start, strict=True)),
                     10 * FAST.reconcile_interval_s + 5, f"{n} reconciliations")


async def wallet_follows_the_stream(env: RelayEnv) -> None:
    """A user-stream event stamped with the exchange's true time is applied (not dropped as 'older')."""
    book = env.monitor.store.book("binance-main")
    e = int(time.time() * 1000)
    frame = orjson.dumps({"e": "ACCOUNT_UPDATE", "E": e, "T": e, "a": {
        "m": "DEPOSIT", "B": [{"a": "USDT", "wb": "4321.0", "cw": "4321.0", "bc": "0"}], "P": []}}).decode()
    assert await env.relay.inject("/private/ws", frame)
    await eventually(lambda: book.wallet_balance == 4321.0, 2, "the stream's wallet to be applied")


async def test_an_hour_forward_for_a_few_seconds_then_back() -> None:
    clock = OffsetClock()
    async with relayed(ACCOUNTS, clock=clock) as env:
        assert await env.monitor.wait_live(15)
        adapters = [env.adapter(n) for n in ACCOUNTS]
        clock.jump_wall(HOUR)
        await reconciliations(adapters, 2)  # snapshots and marks taken while the local clock is an hour ahead
        clock.jump_wall(-HOUR)
        await reconciliations(adapters, 1)  # the offset re-measured
        await eventually(lambda: healthy(env.monitor.store, ACCOUNTS), 2 * FAST.reconcile_interval_s + 2,
                         "fresh, young data after the jump back")
        await stays(3.0, env)
        await wallet_follows_the_stream(env)


async def test_an_hour_back() -> None:
    clock = OffsetClock()
    async with relayed(ACCOUNTS, clock=clock) as env:
        assert await env.monitor.wait_live(15)
        adapters = [env.adapter(n) for n in ACCOUNTS]
        clock.jump_wall(-HOUR)
        # Until the next reconciliation re-measures the offset, true exchange times look an hour ahead and
        # are refused; after it, everything flows again: never stuck beyond two reconciliation intervals.
        await reconciliations(adapters, 1)
        await eventually(lambda: healthy(env.monitor.store, ACCOUNTS), 2 * FAST.reconcile_interval_s + 2,
                         "fresh, young data after the jump")
        await stays(3.0, env)
        await wallet_follows_the_stream(env)
