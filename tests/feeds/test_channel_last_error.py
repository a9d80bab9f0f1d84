"""A dropped socket that cannot reconnect leaves its reason and its next attempt on the channel (what the
account detail shows), over real sockets: the emulator refuses connections while the proxy drops the open ones.
The error stays readable as the last one after the channel is LIVE again; the retry goes."""

from __future__ import annotations

import socket

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer
from liqwatch.feed_channel import ChannelStatus
from liqwatch.feeds.account_config import FeedAccount
from tests.feeds.harness import eventually, running


async def test_a_failed_reconnect_leaves_its_reason_and_the_next_attempt_on_the_channel() -> None:
    async with running(only=("binance-main",), proxy=True) as env:
        assert await env.monitor.wait_live(15)
        assert env.proxy is not None
        mark = env.channel("binance-main", "mark")

        def status() -> ChannelStatus:
            return mark.status(env.monitor.store.clock.monotonic())

        assert status().last_error == "" and status().retry_in_s is None
        await env.emu.faults.refuse_connections(30)
        env.proxy.reset_all()
        # First the drop ("closed by server"), then each failed attempt's own reason.
        await eventually(lambda: not status().live and status().retry_in_s is not None
                         and status().last_error.startswith(("connect failed", "connection error", "handshake")),
                         what="the channel down with its failed attempt's reason and the next attempt")
        down = status()
        assert down.retry_in_s is not None and 0 <= down.retry_in_s <= 0.4  # FAST's backoff cap
        await env.emu.faults.clear()
        await eventually(lambda: status().live, limit_s=15, what="the channel LIVE again")
        up = status()
        assert up.retry_in_s is None and up.last_error  # kept: why it was down


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_an_unreachable_exchange_at_start_says_why_and_when_it_tries_again() -> None:
    port = _closed_port()  # nothing listens: "Cannot connect to host", as for a name that does not resolve

    def unreachable(emu: EmulatorServer) -> list[FeedAccount]:
        return scenario_accounts(emu.scenario, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}")

    async with running(only=("binance-main",), accounts=unreachable) as env:
        mark = env.channel("binance-main", "mark")

        def status() -> ChannelStatus:
            return mark.status(env.monitor.store.clock.monotonic())

        await eventually(lambda: status().retry_in_s is not None and bool(status().last_error),
                         what="the bootstrap's failure on the channel")
        now = status()
        assert now.state.value == "CONNECTING"
        assert now.last_error.startswith("bootstrap failed:") and f"127.0.0.1:{port}" in now.last_error
        view = env.monitor.store.snapshot().account("binance-main")
        assert {ch.channel: bool(ch.last_error) for ch in view.feeds} == {"mark": True, "user": True}
