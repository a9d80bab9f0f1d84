"""Adapter contract, REST faults (rows 13, 14, 15 and 18 of the fault catalogue, issue 9's data ages), for every
exchange profile: HTTP 429 waits out Retry-After with no request meanwhile and the sockets up; HTTP 418 (an IP
ban) stops REST to that exchange for every account on it and raises its own alert at once; HTTP 503 reads
MAINTENANCE for that exchange only, retried slowly, resynced after; 5xx during a snapshot keeps the channels
syncing until a full one."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertEvent, AlertState, EventKind
from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer
from liqwatch.feed_channel import Channel, ChannelKind, ChannelState
from liqwatch.feeds.account_config import FeedAccount
from tests.feeds.contract.observe import LIVE, Rest, all_live, connects
from tests.feeds.contract.profiles import PROFILES, ExchangeProfile
from tests.feeds.harness import FAST, eventually, running
from widgets.header_lines import _feed_span

MAINT = "MAINTENANCE"  # ChannelState.MAINTENANCE (by value: the test names what it expects)


def other_than(profile: ExchangeProfile) -> ExchangeProfile:
    return next(p for p in PROFILES if p.id != profile.id)


async def test_13_rest_429_waits_for_retry_after_without_a_storm(profile: ExchangeProfile) -> None:
    async with running(only=(profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        n = connects(env.emu, *profile.kinds)
        rest = Rest.mark(env.emu)
        env.emu.faults.rest_error(429, exchange=profile.id, count=1, retry_after=1)
        await eventually(lambda: any(s == 429 for _, _, s in rest.calls(profile.id)), 5, "the 429")
        hit = Rest.mark(env.emu)
        await asyncio.sleep(0.7)  # inside Retry-After: nothing may go out (this waits on purpose, not for luck)
        assert hit.calls(profile.id) == []
        assert connects(env.emu, *profile.kinds) == n  # WS stays up
        assert all_live(env.monitor, profile.account)
        await eventually(lambda: hit.snapshots(profile) > 0, 10, "reconciliation to resume after Retry-After")


async def test_14_an_ip_ban_stops_all_rest_to_that_exchange_and_raises_its_own_alert_at_once(
        profile: ExchangeProfile) -> None:
    accounts, exchange = profile.exchange_accounts, profile.id
    async with running(only=accounts) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        state, _ = evaluate(AlertState(), store.snapshot(), ThresholdMap(), store.clock.now())
        assert not [a for a in state.active if a.rule == "ip_banned"]
        env.emu.faults.rest_error(418, exchange=exchange, count=1, retry_after=2)
        hit = Rest.mark(env.emu)
        await eventually(lambda: any(r[2] == 418 for r in hit.calls(exchange)), 5, "the 418")
        banned_at = store.clock.now()

        def ban_alerts() -> list[AlertEvent]:
            _, events = evaluate(state, store.snapshot(), ThresholdMap(), store.clock.now())
            return [e for e in events if e.alert.key.rule == "ip_banned" and e.kind is EventKind.RAISED]

        # Its own alert, at once (not after stale_feed_s), on every account of that exchange.
        await eventually(lambda: {e.alert.key.account for e in ban_alerts()} == set(accounts), 1.0,
                         "the ban alert on every account of the exchange, at once")
        snap = store.snapshot()
        state, events = evaluate(state, snap, ThresholdMap(), store.clock.now())
        raised = [e for e in events if e.alert.key.rule == "ip_banned" and e.kind is EventKind.RAISED]
        assert {e.alert.key.account for e in raised} == set(accounts)
        assert all(e.alert.level is AlertLevel.CRITICAL for e in raised)
        pause = snap.account(accounts[0]).rest_pause
        assert pause is not None and pause.kind == "banned"
        assert abs((pause.until - (banned_at + timedelta(seconds=2))).total_seconds()) < 1.0  # the ban's end
        text = f"{exchange} banned this IP until {pause.until:%H:%M:%S} UTC, data may be stale"
        assert all(text in e.message for e in raised), [e.message for e in raised]
        assert _feed_span(snap.account(accounts[0]))[0].endswith(f"IP BANNED until {pause.until:%H:%M:%S} UTC")
        assert snapshot_json(snap)["accounts"][0]["rest_paused"]["kind"] == "banned"
        # No request of any account goes out before the ban's end (bar those already in flight when the 418
        # came, answered within the request timeout): no storm. This waits on purpose, inside the ban.
        await asyncio.sleep(0.5)
        quiet = Rest.mark(env.emu)
        await asyncio.sleep(max(0.0, (pause.until - store.clock.now()).total_seconds() - 0.3))
        assert quiet.calls(exchange) == []
        # The ban ends: REST resumes, the alert clears.
        await eventually(lambda: all(store.snapshot().account(n).rest_pause is None for n in accounts), 5,
                         "the ban to end")
        await eventually(lambda: any(r[2] == 200 for r in hit.calls(exchange)), 10, "REST to resume")
        state, events = evaluate(state, store.snapshot(), ThresholdMap(), store.clock.now())
        assert {e.alert.key.account for e in events
                if e.alert.key.rule == "ip_banned" and e.kind is EventKind.CLEARED} == set(accounts)
        assert not [a for a in state.active if a.rule == "ip_banned"]


async def test_18_maintenance_503_shows_maintenance_for_that_exchange_only_retries_slowly_and_resyncs(
        profile: ExchangeProfile) -> None:
    target, exchange, other = profile.account, profile.id, other_than(profile).account
    # FAST (maintenance_retry_s 1 s), the marks' limit 3 s: the other exchange must stay LIVE throughout, and
    # under the suite's start-up load in CI a 1 s limit was passed once by a late mark (a STALE not the fault's).
    async with running(only=(target, other), options=dataclasses.replace(FAST, market_max_age_s=3.0)) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        seen_other: set[ChannelState] = set()
        hit = Rest.mark(env.emu)
        changes = {c.name: c.changes for c in store.channels(target)}
        # Ended by the test once the checks below are done (~4 s), not by a window sized for them with slack.
        env.emu.faults.rest_error(503, exchange=exchange, seconds=30)

        def maintenance() -> bool:
            seen_other.update(c.state for c in store.channels(other))
            return all(c.state == MAINT for c in store.channels(target))

        await eventually(maintenance, 5, f"every {exchange} channel in MAINTENANCE")
        snap = store.snapshot()
        feeds = {(f["account"], f["channel"]): f["state"] for f in snapshot_json(snap)["feeds"]}
        assert {s for (a, _), s in feeds.items() if a == target} == {"MAINTENANCE"}
        assert {s for (a, _), s in feeds.items() if a == other} == {"LIVE"}
        first = store.channels(target)[0].name
        assert f"{target}/{first}: MAINTENANCE" in snapshot_text(snap)
        assert f"{exchange} under maintenance (HTTP 503); next try" in snapshot_text(snap)
        assert _feed_span(snap.account(target))[0].startswith(f"{target} MAINTENANCE")
        assert snap.account(target).status.value == "stale"
        # Stays so while the exchange answers 503, data on the socket notwithstanding.
        start = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - start < 3.0:  # three slow tries at least
            maintenance()
            assert all(c.state == MAINT for c in store.channels(target)), \
                [(c.name, c.state) for c in store.channels(target)]
            await asyncio.sleep(0.05)
        # A slow cadence: a try a second at most (each loop of the adapter may make one), not the 0.05-0.4 s
        # backoff of a plain 5xx.
        answered = hit.calls(exchange)
        assert sum(1 for r in answered if r[2] == 503) <= 8, answered  # measured: 3 in ~4 s
        # It ends: a full resync, every channel LIVE again.
        ended = Rest.mark(env.emu)
        await env.emu.faults.clear()  # the only fault: the 503
        await eventually(lambda: all(c.state is LIVE for c in store.channels(target)), 15,
                         "LIVE after the maintenance")
        # LIVE only through a resync: each channel went MAINTENANCE -> SYNCING -> LIVE, after a snapshot.
        for c in store.channels(target):
            states = c.states_since(changes[c.name])
            assert ChannelState.SYNCING in states[states.index(ChannelState.MAINTENANCE):], (c.name, states)
        assert ended.snapshots(profile) >= 1
        assert store.snapshot().account(target).rest_pause is None
        assert seen_other == {LIVE}  # the other exchange never left LIVE


async def test_18_a_maintenance_met_at_start_shows_and_then_goes_live(profile: ExchangeProfile) -> None:
    def accounts(emu: EmulatorServer) -> list[FeedAccount]:
        # Before the monitor's first request; ended by the test once the maintenance is shown.
        emu.faults.rest_error(503, exchange=profile.id, seconds=30)
        return [a for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url) if a.name == profile.account]

    async with running(accounts=accounts) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account(profile.account).rest_pause is not None, 5,
                         "the maintenance met by the bootstrap, shown")
        assert {c.state for c in store.channels(profile.account)} == {MAINT}
        await env.emu.faults.clear()  # the only fault: the 503
        assert await env.monitor.wait_live(20)
        await eventually(lambda: store.snapshot().account(profile.account).rest_pause is None,
                         profile.pause_shown_after_live_s, "the maintenance no longer shown once LIVE")


async def test_15_5xx_during_a_snapshot_keeps_syncing_until_a_full_snapshot(profile: ExchangeProfile) -> None:
    async with running(only=(profile.account,)) as env:
        assert await env.monitor.wait_live(15)
        env.emu.faults.rest_error(500, exchange=profile.id, count=4)
        await env.emu.faults.drop(profile.fault_target)
        seen: set[ChannelState] = set()
        details: set[str] = set()

        def settled() -> bool:
            for c in env.monitor.store.channels(profile.account):
                seen.add(c.state)
                details.add(c.detail)
            return all_live(env.monitor, profile.account)

        await eventually(settled, 15, "LIVE after the snapshot finally succeeds")
        assert ChannelState.SYNCING in seen or ChannelState.RECONNECTING in seen
        assert any("resync failed" in d and "HTTP 500" in d for d in details), details


def test_a_maintenance_channel_is_not_made_live_by_its_socket_only_by_a_resync() -> None:
    """The channel's own rule behind row 18 (every exchange's): no socket data makes it LIVE, a resync does."""
    ch = Channel("acc", "mark", ChannelKind.MARKET, max_age_s=5)
    ch.subscribed(0.0)
    ch.synced(0.5)
    ch.data(1.0)
    assert ch.state is LIVE
    ch.maintenance("exchange under maintenance (HTTP 503)")
    for t in (2.0, 3.0, 60.0):
        ch.data(t)  # the socket keeps sending: not trusted meanwhile
        ch.reconciled(t)
        assert ch.check(t) == MAINT and not ch.status(t).live
    ch.resyncing("REST resync")
    assert ch.state is ChannelState.SYNCING
    ch.synced(61.0)
    assert ch.state is LIVE
