"""Adapter contract, frames (rows 8, 9, 10 of the fault catalogue and issue 9's frame integrity), for every
exchange profile: a malformed frame is counted and logged, never fatal and never applied in part; an unknown
event type is logged once; duplicated and reordered frames never regress state; an account frame with an
implausible exchange time is refused whole; only applied marks count as data (a zero or negative price is
refused, and rejected frames alone let the channel go STALE); a stream state that two REST reconciliations
disagree with is handed to REST. Crafted frames reach liqwatch through tests/feeds/ws_relay.py."""

from __future__ import annotations

import asyncio
import logging

import pytest

from liqwatch.feed_channel import ChannelState
from liqwatch.model import AccountState
from liqwatch.status import Status
from tests.feeds.contract.frames import TEN_YEARS_MS, holds, now_ms
from tests.feeds.contract.observe import LIVE, Logs, Rest, channel, connects, mark, size, wallet
from tests.feeds.contract.profiles import PROFILES, ExchangeProfile
from tests.feeds.harness import FAST, eventually, running
from tests.feeds.ws_relay import RelayEnv, relayed

MALFORMED = [pytest.param(p, kind, id=f"{p.id}-{kind}") for p in PROFILES for kind in p.malformed_kinds]


async def template(env: RelayEnv, marker: str | None) -> str | None:
    """A real frame the relay saw carrying ``marker`` (None: the exchange's frames are built from scratch)."""
    if marker is None:
        return None
    env.relay.watch = (*env.relay.watch, marker)
    await eventually(lambda: marker in env.relay.last, 5, f"a real frame with {marker}")
    return env.relay.last[marker]


@pytest.mark.parametrize(("profile", "kind"), MALFORMED)
async def test_a_malformed_frame_is_counted_and_logged_never_fatal(profile: ExchangeProfile, kind: str,
                                                                  log: Logs) -> None:
    async with running(only=(profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        n, before = connects(env.emu, *profile.kinds), log.malformed(profile.account)
        mark_before = mark(env.monitor, profile.account, profile.symbol)
        env.emu.faults.malformed(profile.market_target, kind)
        await eventually(lambda: log.malformed(profile.account) > before, 5, "the bad frame to be counted")
        assert connects(env.emu, *profile.kinds) == n  # the connection is kept
        assert channel(env.monitor, profile.account, "mark").state is LIVE
        assert mark_before is not None and mark(env.monitor, profile.account, profile.symbol) is not None
        if profile.secret is not None:
            assert profile.secret not in log.text()


async def test_unknown_events_are_ignored_and_logged_once(profile: ExchangeProfile, log: Logs) -> None:
    async with running(only=(profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        for _ in range(3):
            env.emu.faults.unknown_event(profile.fault_target)
        await eventually(lambda: log.count(f"{profile.account}/", "ignoring unknown event type") >= 1, 5,
                         "the unknown event seen")
        await asyncio.sleep(0)
        assert log.count(f"{profile.account}/", "ignoring unknown event type") == 1  # three frames, one type
        assert log.malformed(profile.account) == 0
        assert all(c.state is LIVE for c in env.monitor.store.channels(profile.account))


async def test_duplicate_and_out_of_order_frames_never_regress_state(profile: ExchangeProfile) -> None:
    async with running(only=(profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        ch = channel(env.monitor, profile.account, "mark")
        await eventually(lambda: ch.frames >= 30, 10, "a history of frames on the socket")  # so an old one exists
        store = env.monitor.store
        ignored = store.ignored_stale_events
        held = size(env.monitor, profile.account, profile.symbol)
        env.emu.faults.replay_stale(profile.user_target)
        env.emu.faults.replay_stale(profile.market_target)
        env.emu.faults.reorder(profile.fault_target, 3)
        env.emu.faults.duplicate(profile.fault_target, 3)
        frames = ch.frames
        await eventually(lambda: ch.frames > frames + 10, 5, "the faulty frames and more after them")
        if profile.marks_carry_time:  # a replayed frame is known old by its time (a context without one is not)
            await eventually(lambda: store.ignored_stale_events > ignored, 5, "stale events to be refused")
        assert ch.state is LIVE
        assert size(env.monitor, profile.account, profile.symbol) == held


async def test_an_account_frame_with_an_implausible_exchange_time_is_refused_whole(
        profile: ExchangeProfile, log: Logs) -> None:
    async with relayed((profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        held, cash = size(env.monitor, profile.account, profile.symbol), wallet(env.monitor, profile.account)
        assert held == profile.held_size
        # The wallet as the exchange last stated it over REST. Some accounts' wallets move at every
        # reconciliation (Bybit's collateral at its index, its accruing interest): what the store shows must
        # then be the newest REST answer's wallet, exactly; an account whose wallet is still keeps ``cash``.
        stated = [cash]
        adapter = env.adapter(profile.account)
        apply_rest = adapter.apply_snapshot

        def apply_snapshot(state: AccountState) -> None:
            apply_rest(state)
            stated.append(wallet(env.monitor, profile.account))

        adapter.apply_snapshot = apply_snapshot
        frame = profile.position_frame(await template(env, profile.position_template), "9.0",
                                       now_ms() + TEN_YEARS_MS, "1.0")
        before = log.malformed(profile.account)
        assert await env.relay.inject(profile.user_route, frame)
        await eventually(lambda: log.malformed(profile.account) > before, 5, "the future-dated frame counted as bad")
        assert log.count(f"{profile.account}/", "malformed frame", "ahead of the exchange's clock") >= 1
        await holds(lambda: size(env.monitor, profile.account, profile.symbol) == held
                    and wallet(env.monitor, profile.account) == stated[-1], 1.5,
                    "the future-dated frame changed the account")
        assert env.monitor.store.snapshot().account(profile.account).fresh


async def test_only_applied_marks_count_as_data(profile: ExchangeProfile, log: Logs) -> None:
    async with relayed((profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        store, ch = env.monitor.store, channel(env.monitor, profile.account, "mark")
        real = await template(env, profile.mark_template)
        # The real marks stop; only frames the store must reject arrive (a zero, a negative price), 10 a second.
        env.relay.drop = lambda path, text: path.startswith(profile.market_route) and profile.mark_marker in text
        before = log.malformed(profile.account)
        bad = [lambda: profile.mark_frame(real, "0", now_ms()), lambda: profile.mark_frame(real, "-5", now_ms())]
        if profile.marks_carry_time:
            bad.append(lambda: profile.mark_frame(real, "60000", now_ms() // 1000))  # the time in seconds
        stop = asyncio.Event()

        async def feed_bad() -> None:
            i = 0
            while not stop.is_set():
                await env.relay.inject(profile.market_route, bad[i % len(bad)]())
                i += 1
                await asyncio.sleep(0.1)

        feeder = asyncio.create_task(feed_bad())
        try:
            await eventually(lambda: ch.state is ChannelState.STALE, FAST.market_max_age_s + 1.5,
                             "the mark channel STALE on rejected frames alone")
            assert log.malformed(profile.account) >= before + 3
            assert mark(env.monitor, profile.account, profile.symbol) not in (0.0, -5.0)
            await holds(lambda: ch.state is not LIVE and not store.snapshot().account(profile.account).fresh, 1.5,
                        "rejected frames kept the account fresh")
        finally:
            stop.set()
            await feeder
        env.relay.drop = None
        await eventually(lambda: ch.state is LIVE, 15, "LIVE again on real frames")


async def test_a_stream_state_two_reconciliations_disagree_with_is_handed_to_rest(profile: ExchangeProfile) -> None:
    async with relayed((profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        # Plausible (4.5 s ahead is inside the tolerance) but wrong: every snapshot looks older than it.
        frame = profile.position_frame(await template(env, profile.position_template), "0.9", now_ms() + 4500, None)
        env.relay.drop = (lambda path, text: profile.position_template is not None
                          and profile.position_template in text)  # the exchange's own pushes would correct it too
        assert await env.relay.inject(profile.user_route, frame)
        await eventually(lambda: size(env.monitor, profile.account, profile.symbol) == 0.9, 5, "the stream's version")
        rest = Rest.mark(env.emu)
        # Two reconciliations (one second apart here) disagree with it: REST's figure wins, before the frame's
        # own time would have let the snapshots through.
        await eventually(lambda: size(env.monitor, profile.account, profile.symbol) == profile.held_size,
                         2 * FAST.reconcile_interval_s + 1.2,
                         "REST state to replace the stream's after two reconciliations")
        if profile.snapshot_path_counts:
            assert rest.snapshots(profile) <= 3
        assert any("disagreed with two REST reconciliations" in i for i in store.snapshot().incidents)


async def test_a_future_dated_frame_is_rejected_and_later_frames_still_apply(log: Logs) -> None:
    """Binance only: its marks carry an exchange time (Hyperliquid's contexts do not, see the profile)."""
    async with relayed(("binance-main",)) as env:
        assert await env.monitor.wait_live(15)
        store, btc = env.monitor.store, "BTC/USDT:USDT"
        before = log.malformed("binance-main")
        from tests.feeds.contract.frames import mark_frame

        assert await env.relay.inject("/market/stream", mark_frame("BTCUSDT", "12345", now_ms() + TEN_YEARS_MS))
        await eventually(lambda: log.malformed("binance-main") > before, 5, "the future-dated frame counted as bad")
        assert log.count("binance-main/", "ahead of the exchange's clock") >= 1

        def sane() -> bool:
            return mark(env.monitor, "binance-main", btc) != 12345.0

        await holds(sane, 0.5, "the future-dated mark was applied")
        # Real frames keep applying: the BTC row's mark stays young, the account fresh and not critical.
        version = store.version
        await eventually(lambda: store.version > version + 3, 5, "later real frames applied")

        def healthy() -> bool:
            a = store.snapshot().account("binance-main")
            return sane() and a.fresh and a.status is not Status.CRITICAL and all(p.fresh for p in a.positions)

        await eventually(healthy, 5, "fresh, not critical")
        await holds(healthy, 1.5, "the account stayed fresh and sane")
        assert not [r for r in log.records if r.levelno >= logging.ERROR]
