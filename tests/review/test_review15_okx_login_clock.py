"""Review 15: OKX refuses the private socket's login for its timestamp (60006 "Timestamp expired", 60004): the
clock, not the key. The login is signed with OKX's clock as last measured, so the next attempt must measure it
again first: else every reconnect is signed with the same stale offset until the next reconciliation (20 s by
default), or for ever while REST is refused too."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from liqwatch.feed_channel import ChannelState
from tests.feeds.harness import FAST, eventually
from tests.feeds.ws_relay import relayed

ACCOUNT = "okx-iso"
SLOW_RECONCILE = dataclasses.replace(FAST, reconcile_interval_s=30.0)  # no reconciliation re-measures meanwhile


async def test_a_login_refused_for_its_timestamp_measures_the_clock_before_the_next_login() -> None:
    async with relayed((ACCOUNT,), options=SLOW_RECONCILE) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter(ACCOUNT)
        events: list[str] = []
        measure, login = adapter.server_clock.measure, adapter._login

        def measured(*args: Any) -> None:
            events.append("measure")
            measure(*args)

        async def logging_in(ws: Any) -> None:
            events.append("login")
            await login(ws)

        adapter.server_clock.measure = measured
        adapter._login = logging_in
        armed = [True]
        refusal = '{"event":"error","code":"60006","msg":"Timestamp request expired"}'

        def refuse_once(path: str, text: str) -> bool:
            if armed and path.startswith("/ws/v5/private") and '"event":"login"' in text.replace(" ", ""):
                armed.clear()
                asyncio.get_running_loop().create_task(env.relay.inject("/ws/v5/private", refusal))
                return True
            return False

        env.relay.drop = refuse_once
        for stream in adapter.streams:
            if "private" in stream.name:
                stream.force_reconnect("test: a new login")
        await eventually(lambda: events.count("login") >= 2, 10, "the login tried again")
        first, second = events.index("login"), events.index("login", events.index("login") + 1)
        assert "measure" in events[first:second], events
        view = env.monitor.store.snapshot().account(ACCOUNT)
        assert view.disabled_reason is None, view.disabled_reason


async def test_a_login_always_refused_for_its_timestamp_is_backed_off_and_said() -> None:
    async with relayed((ACCOUNT,), options=SLOW_RECONCILE) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter(ACCOUNT)
        logins = [0]
        login = adapter._login

        async def counted(ws: Any) -> None:
            logins[0] += 1
            await login(ws)

        adapter._login = counted
        refusal = '{"event":"error","code":"60006","msg":"Timestamp request expired"}'

        def refuse(path: str, text: str) -> bool:
            if path.startswith("/ws/v5/private") and '"event":"login"' in text.replace(" ", ""):
                asyncio.get_running_loop().create_task(env.relay.inject("/ws/v5/private", refusal))
                return True
            return False

        env.relay.drop = refuse
        for stream in adapter.streams:
            if "private" in stream.name:
                stream.force_reconnect("test: a new login")
        user = env.channel(ACCOUNT, "user")
        await eventually(lambda: "60006" in user.detail, 5, "the refusal said on the user channel")
        start = logins[0]
        await asyncio.sleep(1.5)
        # Full-jitter backoff capped at 0.4 s under FAST: about 5 a second at most, never a tight loop.
        assert logins[0] - start <= 12, logins[0] - start
        assert user.state is not ChannelState.LIVE
        assert env.monitor.store.snapshot().account(ACCOUNT).disabled_reason is None
