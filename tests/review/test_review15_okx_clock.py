"""Review 15: OKX answers a signed call with 50102 "Timestamp request expired" (HTTP 401) every time: a local
clock that cannot be put right, or a proxy that answers so. The adapter must not loop or flood: it backs off,
says why on the account's channels (the clock, not the key), is never LIVE on data it did not fetch, and never
disables the account for it. Over 127.0.0.1: the emulator behind a relay that answers every keyed call."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import orjson
from aiohttp import web

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.feed_channel import ChannelState
from liqwatch.monitor import Monitor
from tests.feeds.harness import FAST, eventually
from tests.feeds.ws_relay import Relay, RelayEnv

ACCOUNT = "okx-iso"


class SkewedRelay(Relay):
    """While ``skewed``, every REST call carrying OK-ACCESS-KEY is answered as OKX answers a stale timestamp."""

    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.skewed = False
        self.refused: list[float] = []  # loop time of each refused call

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        keyed = "OK-ACCESS-KEY" in request.headers and request.headers.get("Upgrade", "").lower() != "websocket"
        if self.skewed and keyed:
            self.refused.append(asyncio.get_running_loop().time())
            return web.Response(status=401, content_type="application/json", text=orjson.dumps(
                {"code": "50102", "msg": "Timestamp request expired", "data": []}).decode())
        return await super()._handle(request)


@contextlib.asynccontextmanager
async def skewed(start_skewed: bool) -> AsyncIterator[tuple[RelayEnv, SkewedRelay]]:
    async with asyncio.timeout(60), contextlib.AsyncExitStack() as stack:
        emu = EmulatorServer(demo_scenario(), seed=11, speed=1.0, autorun=True, publish_interval=0.1)
        await stack.enter_async_context(emu)
        relay = await stack.enter_async_context(SkewedRelay(emu.port))
        relay.skewed = start_skewed
        url = f"127.0.0.1:{relay.port}"
        accs = [a for a in scenario_accounts(emu.scenario, f"http://{url}", f"ws://{url}") if a.name == ACCOUNT]
        monitor: Any = await stack.enter_async_context(Monitor(accs, options=FAST))
        yield RelayEnv(emu, monitor, relay), relay


def _channels(env: RelayEnv) -> list[Any]:
    return list(env.monitor.store.channels(ACCOUNT))


async def test_a_clock_okx_always_refuses_at_start_is_backed_off_and_said() -> None:
    async with skewed(True) as (env, relay):
        await eventually(lambda: len(relay.refused) >= 6, 10, "the bootstrap retried")
        await asyncio.sleep(1.0)  # a window to count the calls in: FAST backs off up to 0.4 s
        start = asyncio.get_running_loop().time()
        before = len(relay.refused)
        await asyncio.sleep(1.0)
        per_s = (len(relay.refused) - before) / (asyncio.get_running_loop().time() - start)
        # Each attempt: one call, the clock measured, the call signed again (2 refusals), then a full-jitter
        # backoff whose mean is half its cap: 10 a second under FAST's 0.4 s cap (a tight loop: hundreds).
        assert per_s <= 2 * 2 / FAST.backoff_cap_s * 1.6, f"{per_s:.1f} refused calls a second"
        view = env.monitor.store.snapshot().account(ACCOUNT)
        assert view.disabled_reason is None, view.disabled_reason
        for ch in _channels(env):
            assert ch.state is not ChannelState.LIVE or ch.name == "mark", (ch.name, ch.state)
        user = next(c for c in _channels(env) if c.name == "user")
        assert user.state is not ChannelState.LIVE
        assert "50102" in user.detail and "clock" in user.detail, user.detail


async def test_a_clock_okx_starts_refusing_while_running_is_said_and_never_disables() -> None:
    async with skewed(False) as (env, relay):
        assert await env.monitor.wait_live(15)
        relay.skewed = True
        adapter = env.adapter(ACCOUNT)
        await eventually(lambda: adapter.reconcile_failures >= 1, 10, "a reconciliation refused")
        view = env.monitor.store.snapshot().account(ACCOUNT)
        assert view.disabled_reason is None, view.disabled_reason
        assert "50102" in str(adapter.last_error) and "clock" in str(adapter.last_error), adapter.last_error
        # The private socket still pushes positions and balance (OKX's regular pushes, real data): the user
        # channel stays LIVE on them, as for any reconciliation that fails (a quiet channel is fresh on data
        # or on a reconciliation); what failed is said in the account's last error above.
