"""Adapter contract, socket faults (rows 1, 2, 3, 5 and 22 of the fault catalogue), for every exchange profile:
a dropped socket reads RECONNECTING at once and is LIVE again only after a REST resync; a half-open socket is
pinged, found silent and replaced; a socket whose data stops goes STALE then is replaced; a reset peer and a
black hole at the TCP level; a reconnect storm backs off. Observed at the emulator and in the store only."""

from __future__ import annotations

import asyncio

from liqwatch.feed_channel import ChannelState
from tests.feeds.contract.observe import LIVE, Rest, all_live, channel, connects, feed_tasks_of, open_sockets
from tests.feeds.contract.profiles import ExchangeProfile
from tests.feeds.harness import FAST, eventually, running
from tests.feeds.ws_relay import relayed


async def test_a_dropped_socket_reads_reconnecting_at_once_and_is_live_only_after_a_resync(
        profile: ExchangeProfile) -> None:
    async with running(only=(profile.account,)) as env:
        assert await env.monitor.wait_live(15), "feeds never went LIVE"
        mark = channel(env.monitor, profile.account, "mark")
        tasks_before, loops = len(asyncio.all_tasks()), feed_tasks_of(profile.account)
        n, before, rest = connects(env.emu, profile.market_kind), mark.changes, Rest.mark(env.emu)
        await env.emu.faults.drop(profile.market_target, reset=True)
        await eventually(lambda: bool(mark.states_since(before)), 1.0, "not LIVE right after the drop")
        assert mark.states_since(before)[0] is ChannelState.RECONNECTING  # at once, not after a timeout
        await eventually(lambda: connects(env.emu, profile.market_kind) > n, 5, "a reconnect")
        await eventually(lambda: mark.state is LIVE, 10, "LIVE again")
        # A REST snapshot before LIVE: the channel went through SYNCING, and the emulator answered one.
        assert ChannelState.SYNCING in mark.states_since(before)
        assert rest.mark_snapshots(profile) >= 1
        await eventually(lambda: len(asyncio.all_tasks()) <= tasks_before, 5, "no leftover tasks")
        # Exactly one of each of the adapter's loops: nothing was started twice by the reconnect.
        assert feed_tasks_of(profile.account) == loops and len(set(loops)) == len(loops)


async def test_a_half_open_socket_is_pinged_found_silent_and_replaced(profile: ExchangeProfile) -> None:
    async with relayed((profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        mark = channel(env.monitor, profile.account, "mark")
        n, sent = connects(env.emu, profile.market_kind), len(env.relay.sent)
        env.emu.faults.half_open(profile.market_target)
        t0 = asyncio.get_running_loop().time()
        await eventually(lambda: mark.state is not LIVE, FAST.market_max_age_s + 0.5, "not LIVE within max_age")
        # The ping gets no pong: the socket is closed and replaced.
        await eventually(lambda: connects(env.emu, profile.market_kind) > n, 10, "a new socket after the half-open")
        assert any(profile.is_ping(kind, text) for _, kind, text in env.relay.sent[sent:]), "no ping went out"
        await eventually(lambda: mark.state is LIVE, 10, "LIVE on the new socket")
        assert asyncio.get_running_loop().time() - t0 < 10


async def test_data_that_stops_with_pongs_answered_goes_stale_then_the_socket_is_replaced(
        profile: ExchangeProfile) -> None:
    async with running(only=(profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        mark = channel(env.monitor, profile.account, "mark")
        n = connects(env.emu, profile.market_kind)
        env.emu.faults.stop_data(profile.market_target)
        await eventually(lambda: mark.state is ChannelState.STALE, 2.0, "STALE")
        assert "no data" in mark.detail
        await eventually(lambda: connects(env.emu, profile.market_kind) > n, 10, "reconnect after resubscribing")
        await eventually(lambda: mark.state is LIVE, 10, "LIVE again")


async def test_without_server_pings_nothing_changes_while_data_flows(profile: ExchangeProfile) -> None:
    # An exchange that never pings (Hyperliquid) runs this as it is; Binance's pings are switched off.
    async with running(only=(profile.account,), **(profile.no_server_pings or {})) as env:
        assert await env.monitor.wait_live(15)
        mark = channel(env.monitor, profile.account, "mark")
        n, frames = connects(env.emu, profile.market_kind), mark.frames
        await eventually(lambda: mark.frames > frames + 20, 10, "data keeps flowing")
        assert mark.state is LIVE
        assert connects(env.emu, profile.market_kind) == n
        env.emu.faults.half_open(profile.market_target)  # then data stops as well: row 2 applies
        await eventually(lambda: mark.state is not LIVE, 2.0, "not LIVE")
        await eventually(lambda: connects(env.emu, profile.market_kind) > n, 10, "reconnect")


async def test_a_reset_peer_and_a_black_hole_at_the_tcp_level(profile: ExchangeProfile) -> None:
    """The same faults at the TCP level: a reset peer, then a black hole (no FIN, no data)."""
    async with running(only=(profile.account,), proxy=True) as env:
        assert env.proxy is not None
        assert await env.monitor.wait_live(15)
        mark = channel(env.monitor, profile.account, "mark")
        n, before = connects(env.emu, profile.market_kind), mark.changes
        env.proxy.reset_all()
        # Any change of state is one out of LIVE (a reconnect may be over between two polls).
        await eventually(lambda: bool(mark.states_since(before)), 1.0, "not LIVE after a reset")
        assert mark.states_since(before)[0] is not LIVE
        await eventually(lambda: mark.state is LIVE, 10, "LIVE after reconnecting")
        assert connects(env.emu, profile.market_kind) > n
        attempts = env.proxy.accepted
        env.proxy.blackhole = True
        await eventually(lambda: mark.state is not LIVE, FAST.market_max_age_s + 0.5, "not LIVE in a black hole")
        await eventually(lambda: env.proxy is not None and env.proxy.accepted > attempts, 10,
                         "the half-open socket to be abandoned for a new connection")
        env.proxy.blackhole = False
        env.proxy.reset_all()
        await eventually(lambda: mark.state is LIVE, 15, "LIVE once the network heals")


async def test_a_reconnect_storm_backs_off_to_the_cap_then_one_connection_per_stream(
        profile: ExchangeProfile) -> None:
    # Through the proxy: pooled keep-alive connections would otherwise survive a closed listening socket.
    async with running(only=(profile.account,), proxy=True) as env:
        proxy = env.proxy
        assert proxy is not None
        assert await env.monitor.wait_live(15)
        loop = asyncio.get_running_loop()
        proxy.refuse = True
        proxy.reset_all()
        start, first = loop.time(), proxy.accepted
        times: list[float] = []
        seen = first

        def attempts() -> bool:
            nonlocal seen
            if proxy.accepted > seen:
                times.extend([loop.time()] * (proxy.accepted - seen))
                seen = proxy.accepted
            return loop.time() - start > 8 * FAST.backoff_cap_s

        await eventually(attempts, 20, "a while of refused attempts")
        refused, elapsed = proxy.accepted - first, loop.time() - start
        # Still trying, but no hot loop: each socket and REST loop backs off to the cap, so the attempts are tens
        # a second at most (a loop without backoff makes thousands a second on 127.0.0.1).
        assert refused >= 6, refused
        assert refused / elapsed < 40, (refused, elapsed)
        gaps = [b - a for a, b in zip([start, *times], times, strict=False)]
        assert max(gaps) <= 2 * FAST.backoff_cap_s + 0.5, gaps  # capped: never waits much past the cap
        proxy.refuse = False
        after = proxy.accepted
        await eventually(lambda: all_live(env.monitor, profile.account), 15, "recovery of every stream")
        assert proxy.accepted - after < 20  # no hot loop
        await env.emu.flush()
        assert all(open_sockets(env.emu, k) == 1 for k in profile.kinds), [open_sockets(env.emu, k)
                                                                         for k in profile.kinds]
