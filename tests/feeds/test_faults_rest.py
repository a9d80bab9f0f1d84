"""Issue 10, REST faults of the catalogue: 14 (HTTP 418, IP ban) and 18 (maintenance, HTTP 503), over real
sockets against the emulator; the body cap is in test_rest_body_cap.py, clock skew in test_clock_skew.py."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertEvent, AlertState, EventKind
from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer
from liqwatch.emulator.faults import exchange_of
from liqwatch.feed_channel import Channel, ChannelKind, ChannelState
from liqwatch.feeds.account_config import FeedAccount
from tests.feeds.harness import Env, eventually, running
from widgets.header_lines import _feed_span

LIVE = ChannelState.LIVE
MAINT = "MAINTENANCE"  # ChannelState.MAINTENANCE (by value: the test names what it expects)


def calls_to(env: Env, exchange: str, since: int) -> list[tuple[str, str, int]]:
    return [r for r in list(env.emu.requests)[since:] if exchange_of(r[1]) == exchange]


@pytest.mark.parametrize(("accounts", "exchange"), [(("binance-main", "binance-degen"), "binance"),
                                                     (("hl-whale",), "hyperliquid")])
async def test_14_an_ip_ban_stops_all_rest_to_that_exchange_and_raises_its_own_alert_at_once(
        accounts: tuple[str, ...], exchange: str) -> None:
    async with running(only=accounts) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        state, _ = evaluate(AlertState(), store.snapshot(), ThresholdMap(), store.clock.now())
        assert not [a for a in state.active if a.rule == "ip_banned"]
        env.emu.faults.rest_error(418, exchange=exchange, count=1, retry_after=4)
        hit = len(env.emu.requests)
        await eventually(lambda: any(r[2] == 418 for r in calls_to(env, exchange, hit)), 5, "the 418")
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
        assert abs((pause.until - (banned_at + timedelta(seconds=4))).total_seconds()) < 1.0  # the ban's end
        text = f"{exchange} banned this IP until {pause.until:%H:%M:%S} UTC, data may be stale"
        assert all(text in e.message for e in raised), [e.message for e in raised]
        assert _feed_span(snap.account(accounts[0]))[0].endswith(f"IP BANNED until {pause.until:%H:%M:%S} UTC")
        assert snapshot_json(snap)["accounts"][0]["rest_paused"]["kind"] == "banned"
        # No request of any account goes out before the ban's end (bar those already in flight when the 418
        # came, answered within the request timeout): no storm. This waits on purpose, inside the ban.
        await asyncio.sleep(0.5)
        quiet = len(env.emu.requests)
        await asyncio.sleep(max(0.0, (pause.until - store.clock.now()).total_seconds() - 0.3))
        assert calls_to(env, exchange, quiet) == []
        # The ban ends: REST resumes, the alert clears.
        await eventually(lambda: all(store.snapshot().account(n).rest_pause is None for n in accounts), 5,
                         "the ban to end")
        await eventually(lambda: any(r[2] == 200 for r in calls_to(env, exchange, hit)), 10, "REST to resume")
        state, events = evaluate(state, store.snapshot(), ThresholdMap(), store.clock.now())
        assert {e.alert.key.account for e in events
                if e.alert.key.rule == "ip_banned" and e.kind is EventKind.CLEARED} == set(accounts)
        assert not [a for a in state.active if a.rule == "ip_banned"]


@pytest.mark.parametrize(("target", "exchange", "other"), [("binance-main", "binance", "hl-whale"),
                                                            ("hl-whale", "hyperliquid", "binance-main")])
async def test_18_maintenance_503_shows_maintenance_for_that_exchange_only_retries_slowly_and_resyncs(
        target: str, exchange: str, other: str) -> None:
    async with running(only=("binance-main", "hl-whale")) as env:  # FAST: maintenance_retry_s 1 s
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        adapter = env.adapter(target)
        resyncs = adapter.resyncs
        seen_other: set[ChannelState] = set()
        hit = len(env.emu.requests)
        env.emu.faults.rest_error(503, exchange=exchange, seconds=8)  # the checks below take ~5 s

        def maintenance() -> bool:
            seen_other.update(c.state for c in store.channels(other))
            return all(c.state == MAINT for c in store.channels(target))

        await eventually(maintenance, 5, f"every {exchange} channel in MAINTENANCE")
        snap = store.snapshot()
        feeds = {(f["account"], f["channel"]): f["state"] for f in snapshot_json(snap)["feeds"]}
        assert {s for (a, _), s in feeds.items() if a == target} == {"MAINTENANCE"}
        assert {s for (a, _), s in feeds.items() if a == other} == {"LIVE"}
        channel = store.channels(target)[0].name
        assert f"{target}/{channel}: MAINTENANCE" in snapshot_text(snap)
        assert f"{exchange} under maintenance (HTTP 503); next try" in snapshot_text(snap)
        assert _feed_span(snap.account(target))[0].startswith(f"{target} MAINTENANCE")
        assert snap.account(target).status.value == "stale"
        # Stays so while the exchange answers 503, data on the socket notwithstanding.
        start = asyncio.get_running_loop().time()
        while asyncio.get_running_loop().time() - start < 4.0:
            maintenance()
            assert all(c.state == MAINT for c in store.channels(target)), \
                [(c.name, c.state) for c in store.channels(target)]
            await asyncio.sleep(0.05)
        # A slow cadence: a try a second at most (each loop of the adapter may make one), not the 0.05-0.4 s
        # backoff of a plain 5xx.
        answered = calls_to(env, exchange, hit)
        assert sum(1 for r in answered if r[2] == 503) <= 8, answered  # measured: 3 in ~5 s
        # It ends: a full resync, every channel LIVE again.
        await eventually(lambda: all(c.state is LIVE for c in store.channels(target)), 15,
                         "LIVE after the maintenance")
        assert adapter.maintenance_resyncs >= 1 and adapter.resyncs > resyncs
        assert store.snapshot().account(target).rest_pause is None
        assert seen_other == {LIVE}  # the other exchange never left LIVE


def test_a_maintenance_channel_is_not_made_live_by_its_socket_only_by_a_resync() -> None:
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


async def test_18_a_maintenance_met_at_start_shows_and_then_goes_live() -> None:
    def accounts(emu: EmulatorServer) -> list[FeedAccount]:
        emu.faults.rest_error(503, exchange="binance", seconds=3)  # before the monitor's first request
        return [a for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url) if a.name == "binance-main"]

    async with running(accounts=accounts) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account("binance-main").rest_pause is not None, 5,
                         "the maintenance met by the bootstrap, shown")
        assert {c.state for c in store.channels("binance-main")} == {MAINT}
        assert await env.monitor.wait_live(20)
        assert store.snapshot().account("binance-main").rest_pause is None
