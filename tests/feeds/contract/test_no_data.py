"""Adapter contract, rows 4 and 29 of the fault catalogue, for every exchange profile: a route that acknowledges
the subscription and never sends data. The channel goes STALE timed from the subscribe, the watchdog
resubscribes then reconnects, and what the trader is told (the channel's detail and the stale-feed alert)
names the stream and the endpoint to check, through the reconnects and REST resyncs, never "syncing: REST
resync"; fed again, the channel is LIVE and the text goes with the silence."""

from __future__ import annotations

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertState
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import ChannelState
from tests.feeds.contract.observe import channel, connects
from tests.feeds.contract.profiles import ExchangeProfile
from tests.feeds.harness import eventually, running


async def test_04_29_subscribed_but_no_data_times_out_from_subscribe_and_names_the_endpoint(
        profile: ExchangeProfile) -> None:
    account = profile.account
    async with running(only=(account,)) as env:
        assert await env.monitor.wait_live(15)
        mark = channel(env.monitor, account, "mark")
        env.emu.faults.ack_without_data(profile.market_target)
        await env.emu.faults.drop(profile.market_target)  # the new socket's subscriptions are acknowledged, never fed
        endpoint = f"{env.emu.ws_url}{profile.market_route}"
        thresholds = ThresholdMap(AlertThresholds(stale_feed_s=1.0))
        alerts = AlertState(id_prefix="t")
        seen: list[tuple[ChannelState, str]] = []

        def watch() -> bool:
            nonlocal alerts
            snap = env.monitor.store.snapshot()
            feed = next(f for f in snap.feeds if f.account == account and f.channel == "mark")
            seen.append((feed.state, feed.detail))
            alerts, _ = evaluate(alerts, snap, thresholds, snap.time)
            return False

        n = connects(env.emu, profile.market_kind)

        async def until(predicate, limit: float, why: str) -> None:  # type: ignore[no-untyped-def]
            await eventually(lambda: watch() or predicate(), limit, why)

        await until(lambda: mark.state is ChannelState.STALE and "subscribed to" in mark.detail, 5,
                    "STALE with no message ever on the new subscription")
        # The watchdog's remedies run (resubscribe, then a new socket and a REST resync) and the silence stays
        # named as such, measured from the first silent subscribe.
        await until(lambda: connects(env.emu, profile.market_kind) > n + 1 and mark.state is ChannelState.SYNCING
                    and mark.silent_for(env.monitor.clock.monotonic()) is not None, 15, "a reconnect and a resync")
        first = next(i for i, (_, d) in enumerate(seen) if "subscribed to" in d)
        for state, detail in seen[first:]:
            if state is ChannelState.LIVE:
                continue
            assert "subscribed to " in detail and f" at {endpoint} but no data for " in detail, (state, detail)
            assert detail.endswith(f"s: check the endpoint configuration (ws_url of account {account})")
            assert profile.mark_subscription in detail
            assert "REST resync" not in detail
        assert {s for s, _ in seen[first:]} >= {ChannelState.STALE, ChannelState.SYNCING}
        alert = next(a for k, a in alerts.active.items() if k.rule is AlertRule.STALE_FEED and k.subject == "mark")
        assert f"at {endpoint} but no data for" in alert.message and "check the endpoint configuration" in alert.message
        assert "REST resync" not in alert.message
        # Fed again: the channel recovers (row 4: within 10 s) and the text goes with the silence.
        env.emu.faults.ack_without_data(profile.market_target, on=False)
        await eventually(lambda: mark.state is ChannelState.LIVE, 10, "recovery once the server feeds again")
        status = mark.status(env.monitor.clock.monotonic())
        assert status.detail == "" and mark.silent_for(env.monitor.clock.monotonic()) is None
