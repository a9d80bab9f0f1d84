"""Adapter contract at the monitor's level: one bad account (a wrong key, a dead endpoint, a key variable
missing) is disabled with a message naming what is wrong while the others run (rows 23, 24); an event loop
blocked under every exchange's feeds is detected, alerted, not shown as fresh, and no socket is lost (row 20)."""

from __future__ import annotations

import asyncio
import os
import textwrap
import time
from dataclasses import replace
from pathlib import Path

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertState, EventKind
from liqwatch.config import load_settings
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.demo_environment import scenario_accounts
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.feeds.from_config import feed_accounts
from liqwatch.model import Exchange
from liqwatch.monitor import Monitor
from tests.feeds.contract.observe import LIVE, connects
from tests.feeds.contract.profiles import ExchangeProfile
from tests.feeds.harness import FAST, eventually, running

# A market limit well over the stall, so that only the stall detection can say the values are not fresh;
# the socket's idle limit under it, so that counting the stall as silence would close the socket.
LAG_OPTS = replace(FAST, market_max_age_s=5.0, idle_timeout_s=1.5)
STALL_S = 2.0


async def test_one_bad_account_does_not_stop_the_others() -> None:
    def accounts(emu) -> list[FeedAccount]:  # type: ignore[no-untyped-def]
        good = scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)[:1]
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


async def test_24_a_missing_key_variable_disables_that_account_only(tmp_path: Path) -> None:
    async with running(only=()) as env:
        main = next(a for a in env.emu.scenario.binance.accounts if a.name == "binance-main")
        hl = env.emu.scenario.hyperliquid.accounts[0]
        endpoints = f'rest_url = "{env.emu.rest_url}"\nws_url = "{env.emu.ws_url}"\n'
        cfg = tmp_path / "config.toml"
        cfg.write_text(textwrap.dedent(f"""
            [[accounts]]
            name = "main"
            exchange = "binance"
            api_key_env = "LW_T24_MAIN_KEY"
            api_secret_env = "LW_T24_MAIN_SECRET"
            {endpoints}
            [[accounts]]
            name = "nokey"
            exchange = "binance"
            api_key_env = "LW_T24_NOPE_KEY"
            api_secret_env = "LW_T24_NOPE_SECRET"
            {endpoints}
            [[accounts]]
            name = "whale"
            exchange = "hyperliquid"
            address = "{hl.address}"
            {endpoints}
            """).replace("\n            ", "\n"), encoding="utf-8")
        environ = {"LW_T24_MAIN_KEY": main.api_key, "LW_T24_MAIN_SECRET": main.secret, "LW_T24_NOPE_SECRET": ""}
        settings = load_settings(cfg, environ={})
        accounts, disabled = feed_accounts(settings, environ)
        assert [a.name for a in accounts] == ["main", "whale"]
        async with Monitor(accounts, disabled=disabled, options=FAST) as monitor:
            await eventually(lambda: all(c.state is LIVE for n in ("main", "whale")
                                         for c in monitor.store.channels(n)), 15, "the other accounts LIVE")
            snap = monitor.store.snapshot()
            reason = snap.account("nokey").disabled_reason
            assert reason == ("environment variable LW_T24_NOPE_KEY is not set; "
                              "environment variable LW_T24_NOPE_SECRET is empty")
            assert snap.account("nokey").fresh is False
            assert not [a for a in monitor.adapters if a.account.name == "nokey"]  # never connects, no blank key
    assert "LW_T24_MAIN_KEY" not in os.environ


async def test_20_a_blocked_event_loop_is_detected_alerted_and_not_shown_as_fresh(profile: ExchangeProfile) -> None:
    async with running(only=(profile.account,), options=LAG_OPTS) as env:
        assert await env.monitor.wait_live(15)
        env.monitor.loop_lag.report_s = 2.0  # the alert's window, short for the test
        n = [connects(env.emu, k) for k in profile.kinds]
        channels = env.monitor.store.channels(profile.account)
        await asyncio.sleep(0.3)  # the loop-lag timer has beaten at least once since start

        time.sleep(STALL_S)  # noqa: ASYNC251 - the fault itself: a blocking call on the event loop
        # The first snapshot read after the stall, before the loop has run anything else (no frame read,
        # no timer fired): the data is as old as the stall, and must not be shown as fresh.
        snap = env.monitor.store.snapshot()
        account = snap.account(profile.account)
        assert not account.fresh and not any(p.fresh for p in account.positions)
        assert all(f.state is not ChannelState.LIVE for f in account.feeds)
        assert all("event loop stalled" in f.detail for f in account.feeds)
        assert snap.loop_lag_s is not None and snap.loop_lag_s >= STALL_S - 0.6
        alerts, events = evaluate(AlertState(id_prefix="t"), snap, ThresholdMap(), snap.time)
        raised = [e for e in events if e.alert.key.rule is AlertRule.LOOP_LAG]
        assert [e.kind for e in raised] == [EventKind.RAISED]
        assert f"stalled {snap.loop_lag_s:.1f} s" in raised[0].alert.message
        assert raised[0].alert.value == snap.loop_lag_s

        # Just after: the buffered frames are read, but they may be old: still not fresh.
        await asyncio.sleep(0.2)
        assert not env.monitor.store.snapshot().account(profile.account).fresh
        assert all(not ch.live for ch in [c.status(env.monitor.clock.monotonic()) for c in channels])

        # Fresh again from frames received after the buffer drained; the alert clears when the loop recovers.
        await eventually(lambda: env.monitor.store.snapshot().account(profile.account).fresh, 10, "fresh again")

        def cleared() -> bool:
            nonlocal alerts
            s = env.monitor.store.snapshot()
            alerts, evs = evaluate(alerts, s, ThresholdMap(), s.time)
            return any(e.kind is EventKind.CLEARED and e.alert.key.rule is AlertRule.LOOP_LAG for e in evs)

        await eventually(cleared, 10, "the loop-lag alert to clear")
        # The sockets survived the stall: no idle close, no reconnect.
        assert [connects(env.emu, k) for k in profile.kinds] == n
        assert all(ch.state is ChannelState.LIVE for ch in channels)
        assert env.monitor.loop_lag.stalls == 1
