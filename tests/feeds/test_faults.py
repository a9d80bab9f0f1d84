"""Faults from the fault catalogue injected through the emulator's controls (and our own TCP proxy), each
asserting the documented behaviour: not LIVE within the channel's limit, resync, no crash, no duplicated
tasks. Numbers refer to the catalogue's rows."""

from __future__ import annotations

import asyncio
import logging

import pytest

from liqwatch.clock import OffsetClock
from liqwatch.demo_environment import scenario_accounts
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.account_config import FeedAccount
from tests.feeds.harness import FAST, Env, eventually, running

LIVE = ChannelState.LIVE
MAIN = ("binance-main",)


def feed_tasks() -> set[str]:
    return {t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("feed:")}


def state(env: Env, account: str, channel: str) -> ChannelState:
    return env.channel(account, channel).state


async def live(env: Env) -> None:
    assert await env.monitor.wait_live(15), "feeds never went LIVE"


async def test_01_dropped_tcp_goes_not_live_at_once_then_resyncs() -> None:
    async with running(only=MAIN) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        tasks_before = len(asyncio.all_tasks())
        connects, resyncs = adapter.market_stream.connects, adapter.resyncs
        mark = env.channel("binance-main", "mark")
        before = mark.changes
        await env.emu.faults.drop("binance-market", reset=True)
        await eventually(lambda: bool(mark.states_since(before)), 1.0, "not LIVE right after the drop")
        assert mark.states_since(before)[0] is ChannelState.RECONNECTING  # at once, not after a timeout
        await eventually(lambda: adapter.market_stream.connects > connects, 5, "a reconnect")
        await eventually(lambda: state(env, "binance-main", "mark") is LIVE, 5, "LIVE again")
        assert adapter.resyncs > resyncs  # a REST snapshot before LIVE
        await eventually(lambda: len(asyncio.all_tasks()) <= tasks_before, 5, "no leftover tasks")
        # Exactly one of each of the adapter's loops: nothing was started twice by the reconnect.
        names = sorted(t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("binance-main:"))
        loops = ["market", "reconcile", "supervise", "ticks", "user"]
        assert names == [f"binance-main:{loop}" for loop in loops]
        assert not [t for t in adapter._tasks if not t.done()]


async def test_02_half_open_socket_is_detected_and_replaced() -> None:
    async with running(only=MAIN) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        connects = adapter.market_stream.connects
        env.emu.faults.half_open("binance-market")
        t0 = asyncio.get_running_loop().time()
        await eventually(lambda: state(env, "binance-main", "mark") is not LIVE, FAST.market_max_age_s + 0.5,
                         "STALE within max_age")
        # The app ping gets no pong: the socket is closed and replaced.
        await eventually(lambda: adapter.market_stream.connects > connects, 10, "reconnect after the half-open")
        await eventually(lambda: state(env, "binance-main", "mark") is LIVE, 5, "LIVE on the new socket")
        assert asyncio.get_running_loop().time() - t0 < 10


async def test_03_pongs_ok_but_data_stops_resubscribe_then_reconnect() -> None:
    async with running(only=MAIN) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        connects = adapter.market_stream.connects
        env.emu.faults.stop_data("binance-market")
        await eventually(lambda: state(env, "binance-main", "mark") is ChannelState.STALE, 2.0, "STALE")
        assert "no data" in env.channel("binance-main", "mark").detail
        await eventually(lambda: adapter.market_stream.connects > connects, 10, "reconnect after resubscribing")
        await eventually(lambda: state(env, "binance-main", "mark") is LIVE, 5, "LIVE again")


async def test_04_subscription_acknowledged_but_never_fed_times_out_from_subscribe_time() -> None:
    async with running(only=MAIN) as env:
        await live(env)
        env.emu.faults.ack_without_data("binance-market")
        await env.emu.faults.drop("binance-market")
        ch = env.channel("binance-main", "mark")
        await eventually(lambda: ch.state is ChannelState.STALE and "subscribed to" in ch.detail, 5,
                         "STALE with no message ever on the new subscription")
        env.emu.faults.ack_without_data("binance-market", on=False)
        await eventually(lambda: ch.state is LIVE, 10, "recovery once the server feeds again")


async def test_05_no_server_pings_changes_nothing_while_data_flows() -> None:
    async with running(only=MAIN, binance_ping_interval=None) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        connects = adapter.market_stream.connects
        frames = env.channel("binance-main", "mark").frames
        await eventually(lambda: env.channel("binance-main", "mark").frames > frames + 20, 10, "data keeps flowing")
        assert state(env, "binance-main", "mark") is LIVE
        assert adapter.market_stream.connects == connects
        env.emu.faults.half_open("binance-market")  # then data stops as well: row 2 applies
        await eventually(lambda: state(env, "binance-main", "mark") is not LIVE, 2.0, "not LIVE")
        await eventually(lambda: adapter.market_stream.connects > connects, 10, "reconnect")


@pytest.mark.parametrize("kind", ["truncated", "invalid_utf8", "nan", "not_json", "binary"])
async def test_08_malformed_frames_are_counted_never_fatal(kind: str, caplog: pytest.LogCaptureFixture) -> None:
    async with running(only=MAIN) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        book = env.monitor.store.book("binance-main")
        connects = adapter.market_stream.connects
        before = adapter.malformed
        mark_before = book.mark("BTC/USDT:USDT")
        with caplog.at_level(logging.WARNING):
            env.emu.faults.malformed("binance-market", kind)
            await eventually(lambda: adapter.malformed > before, 5, "the bad frame to be counted")
        assert adapter.market_stream.connects == connects  # the connection is kept
        assert state(env, "binance-main", "mark") is LIVE
        assert book.mark("BTC/USDT:USDT") is not None and mark_before is not None
        assert "malformed frame" in caplog.text
        assert "LiqwatchDemoMainSecret" not in caplog.text


async def test_09_unknown_events_are_ignored_and_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    async with running(only=MAIN) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        with caplog.at_level(logging.INFO):
            for _ in range(3):
                env.emu.faults.unknown_event("binance")
            await eventually(lambda: len(adapter.unknown_events) >= 1, 5, "unknown event seen")
            await asyncio.sleep(0)
        assert caplog.text.count("ignoring unknown event type") == len(adapter.unknown_events)
        assert adapter.malformed == 0
        assert all(state(env, "binance-main", c) is LIVE for c in ("mark", "user"))


async def test_10_duplicate_and_out_of_order_events_never_regress_state() -> None:
    async with running(only=MAIN) as env:
        await live(env)
        ch = env.channel("binance-main", "mark")
        await eventually(lambda: ch.frames >= 30, 10, "a history of frames on the socket")  # so an old one exists
        store = env.monitor.store
        ignored = store.ignored_stale_events
        env.emu.faults.replay_stale("binance-market")
        env.emu.faults.reorder("binance-market", 3)
        env.emu.faults.duplicate("binance-market", 3)
        await eventually(lambda: store.ignored_stale_events > ignored, 5, "stale events to be refused")
        assert state(env, "binance-main", "mark") is LIVE


async def test_13_rest_429_waits_for_retry_after_without_a_storm() -> None:
    async with running(only=MAIN) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        connects = (adapter.market_stream.connects, adapter.user_stream.connects)
        env.emu.faults.rest_error(429, exchange="binance", count=1, retry_after=2)
        await eventually(lambda: adapter.reconcile_failures >= 1, 5, "the 429")
        hit = len(env.emu.requests)
        await asyncio.sleep(1.5)  # inside Retry-After: nothing may go out (this waits on purpose, not for luck)
        binance_calls = [r for r in list(env.emu.requests)[hit:] if r[1].startswith(("/fapi", "/sapi"))]
        assert binance_calls == []
        assert (adapter.market_stream.connects, adapter.user_stream.connects) == connects  # WS stays up
        ok = adapter.reconcile_ok
        await eventually(lambda: adapter.reconcile_ok > ok, 10, "reconciliation to resume after Retry-After")


async def test_15_5xx_during_snapshot_keeps_syncing_until_a_full_snapshot() -> None:
    async with running(only=MAIN) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        env.emu.faults.rest_error(500, exchange="binance", count=4)
        await env.emu.faults.drop("binance")
        seen: set[ChannelState] = set()

        def settled() -> bool:
            seen.add(state(env, "binance-main", "user"))
            return state(env, "binance-main", "user") is LIVE and state(env, "binance-main", "mark") is LIVE

        await eventually(settled, 15, "LIVE after the snapshot finally succeeds")
        assert ChannelState.SYNCING in seen or ChannelState.RECONNECTING in seen
        assert "HTTP 500" in (adapter.last_error or "")


async def test_16_listen_key_expired_rotates_once() -> None:
    async with running(only=MAIN) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        old_key = adapter.listen_key
        user = env.channel("binance-main", "user")
        mark = user.changes
        env.emu.faults.expire_listen_key("binance-main")
        env.emu.binance_ws.announce_expired([(old_key, "binance-main")])  # a duplicate within seconds
        await eventually(lambda: adapter.listen_key_rotations == 1 and adapter.listen_key != old_key, 5,
                         "one rotation")
        await eventually(lambda: state(env, "binance-main", "user") is LIVE, 10, "LIVE on the new key")
        # Not LIVE in between: user data waited for the new stream and a REST refresh.
        assert ChannelState.SYNCING in user.states_since(mark)
        resyncs = adapter.resyncs
        await eventually(lambda: adapter.resyncs > resyncs or adapter.reconcile_ok > 0, 5, "the stream settled")
        assert adapter.listen_key_rotations == 1


async def test_17_failed_keepalive_rotates_and_no_task_dies_silently(caplog: pytest.LogCaptureFixture) -> None:
    clock = OffsetClock()
    async with running(only=MAIN, clock=clock) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        connects = adapter.user_stream.connects
        env.emu.faults.rest_error(500, exchange="binance", count=1)
        clock.jump(31 * 60)  # past the 30-minute keepalive, at once
        await eventually(lambda: adapter.listen_key_rotations == 1, 10, "rotation after the failed PUT")
        # POST hands back the still-active key (as Binance does); the stream is re-opened on it all the same.
        await eventually(lambda: adapter.user_stream.connects > connects, 10, "the user stream re-opened")
        await eventually(lambda: state(env, "binance-main", "user") is LIVE, 15, "user stream LIVE again")
        # -1125: the server forgot the key; the next keepalive fails with it and rotates to a new key.
        old_key = adapter.listen_key
        env.emu.listen_keys.expire("binance-main")
        clock.jump(31 * 60)
        await eventually(lambda: adapter.listen_key_rotations == 2, 10, "rotation after -1125")
        assert adapter.listen_key != old_key
        assert "Task exception was never retrieved" not in caplog.text
        assert all(not t.done() for t in env.monitor._tasks)


async def test_22_reconnect_storm_backs_off_to_the_cap_then_one_connection_per_stream() -> None:
    # Through the proxy: pooled keep-alive connections would otherwise survive a closed listening socket.
    async with running(only=MAIN, proxy=True) as env:
        assert env.proxy is not None
        await live(env)
        adapter = env.adapter("binance-main")
        env.proxy.refuse = True
        env.proxy.reset_all()
        await eventually(lambda: adapter.market_stream.backoff.ceiling() == FAST.backoff_cap_s, 10, "the cap")
        await eventually(lambda: len(adapter.market_stream.delays) >= 6, 10, "several refused attempts")
        delays = list(adapter.market_stream.delays)
        assert max(delays) <= FAST.backoff_cap_s and len(set(delays)) > 1  # capped and jittered
        attempts = adapter.market_stream.connect_attempts
        env.proxy.refuse = False
        await eventually(lambda: all(state(env, "binance-main", c) is LIVE for c in ("mark", "user")), 15,
                         "recovery of both streams")
        assert adapter.market_stream.connect_attempts - attempts < 20  # no hot loop
        await env.emu.flush()
        kinds = [c.kind.value for c in env.emu.hub.conns if not c.ws.closed]
        assert sorted(kinds) == ["binance-market", "binance-user"]


async def test_30_position_liquidated_while_blind_is_found_and_reported() -> None:
    async with running(only=("binance-degen",), autorun=False, proxy=True) as env:
        assert env.proxy is not None
        stop = asyncio.Event()

        async def tick() -> None:
            while not stop.is_set():
                await env.emu.tick(1)
                await asyncio.sleep(0.05)

        ticker = asyncio.create_task(tick())
        try:
            await live(env)
        finally:
            stop.set()
            await ticker
        store = env.monitor.store
        assert len(store.book("binance-degen")) == 1
        env.proxy.refuse = True
        env.proxy.reset_all()
        for _ in range(400):  # the demo's ETH slides until the 30x long is liquidated
            await env.emu.tick(1)
            if env.emu.liquidations:
                break
        assert env.emu.liquidations, "the emulator never liquidated the degen account"
        assert len(store.book("binance-degen")) == 1  # blind: still the old picture, but not LIVE
        assert store.snapshot().account("binance-degen").fresh is False
        env.proxy.refuse = False
        await eventually(lambda: len(store.book("binance-degen")) == 0, 15, "the resync to reveal it")
        assert any("closed while the stream was blind" in i for i in store.snapshot().incidents)


async def test_one_bad_account_does_not_stop_the_others() -> None:
    def accounts(emu) -> list[FeedAccount]:  # type: ignore[no-untyped-def]
        good = scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)[:1]
        from liqwatch.feeds.account_config import Secret
        from liqwatch.model import Exchange

        bad = FeedAccount("wrong-key", Exchange.BINANCE, emu.rest_url, emu.ws_url, api_key=Secret("nope" * 16),
                          api_secret=Secret("wrong" * 12))
        dead = FeedAccount("dead-endpoint", Exchange.HYPERLIQUID, "http://127.0.0.1:9", "ws://127.0.0.1:9",
                           address="0x" + "ab" * 20)
        return [*good, bad, dead]

    async with running(accounts=accounts) as env:
        await eventually(lambda: all(c.state is LIVE for c in env.monitor.store.channels("binance-main")), 15,
                         "the good account LIVE")
        snap = env.monitor.store.snapshot()
        wrong = snap.account("wrong-key")
        assert wrong.disabled_reason is not None and "authentication failed" in wrong.disabled_reason
        assert snap.account("dead-endpoint").fresh is False
        assert "wrongwrong" not in wrong.disabled_reason


async def test_01_02_network_faults_through_a_tcp_proxy() -> None:
    """The same faults at the TCP level: a reset peer, then a black hole (no FIN, no data)."""
    async with running(only=MAIN, proxy=True) as env:
        assert env.proxy is not None
        await live(env)
        adapter = env.adapter("binance-main")
        connects = adapter.market_stream.connects
        env.proxy.reset_all()
        await eventually(lambda: state(env, "binance-main", "mark") is not LIVE, 1.0, "not LIVE after a reset")
        await eventually(lambda: state(env, "binance-main", "mark") is LIVE, 10, "LIVE after reconnecting")
        assert adapter.market_stream.connects > connects
        attempts = adapter.market_stream.connect_attempts
        env.proxy.blackhole = True
        await eventually(lambda: state(env, "binance-main", "mark") is not LIVE, FAST.market_max_age_s + 0.5,
                         "not LIVE in a black hole")
        await eventually(lambda: adapter.market_stream.connect_attempts > attempts, 10,
                         "the half-open socket to be abandoned")
        env.proxy.blackhole = False
        env.proxy.reset_all()
        await eventually(lambda: state(env, "binance-main", "mark") is LIVE, 15, "LIVE once the network heals")


async def test_connections_are_renewed_before_binances_24_hour_cut() -> None:
    clock = OffsetClock()
    async with running(only=MAIN, clock=clock) as env:
        await live(env)
        adapter = env.adapter("binance-main")
        connects = (adapter.market_stream.connects, adapter.user_stream.connects)
        clock.jump(23.5 * 3600 + 1)
        await eventually(lambda: adapter.market_stream.connects > connects[0]
                         and adapter.user_stream.connects > connects[1], 10, "both sockets renewed")
        await eventually(lambda: all(state(env, "binance-main", c) is LIVE for c in ("mark", "user")), 10,
                         "LIVE on the new sockets")
