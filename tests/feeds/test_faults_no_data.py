"""Row 29 of the fault catalogue (with rows 3/4): a route that acknowledges the subscription and never sends
data. The watchdog resubscribes, then reconnects (tested in test_faults); here, what the trader is told: the
channel's detail and the stale-feed alert name the stream and the endpoint to check, through the watchdog's
reconnects and REST resyncs, and never read "syncing: REST resync"."""

from __future__ import annotations

import pytest

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertState
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import ChannelState
from tests.feeds.harness import eventually, running

CASES = [
    ("binance-main", "binance-market", "market_stream", "@markPrice@1s", "/market/stream"),
    ("hl-whale", "hyperliquid", "stream", "activeAssetCtx of", "/ws"),
]


@pytest.mark.parametrize(("account", "target", "stream_attr", "what", "route"), CASES,
                         ids=["binance", "hyperliquid"])
async def test_29_subscribed_but_no_data_names_the_endpoint(
        account: str, target: str, stream_attr: str, what: str, route: str) -> None:
    async with running(only=(account,)) as env:
        assert await env.monitor.wait_live(15)
        stream = getattr(env.adapter(account), stream_attr)
        mark = env.channel(account, "mark")
        env.emu.faults.ack_without_data(target)
        await env.emu.faults.drop(target)  # the new socket's subscriptions are acknowledged, never fed
        endpoint = f"{env.emu.ws_url}{route}"
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

        connects = stream.connects

        async def until(predicate, limit: float, why: str) -> None:  # type: ignore[no-untyped-def]
            await eventually(lambda: watch() or predicate(), limit, why)

        await until(lambda: mark.state is ChannelState.STALE and "subscribed to" in mark.detail, 5, "STALE")
        # The watchdog's remedies run (resubscribe, then a new socket and a REST resync) and the silence stays
        # named as such, measured from the first silent subscribe.
        await until(lambda: stream.connects > connects + 1 and mark.state is ChannelState.SYNCING
                    and mark.silent_for(env.monitor.clock.monotonic()) is not None, 15, "a reconnect and a resync")
        first = next(i for i, (_, d) in enumerate(seen) if "subscribed to" in d)
        for state, detail in seen[first:]:
            if state is ChannelState.LIVE:
                continue
            assert "subscribed to " in detail and f" at {endpoint} but no data for " in detail, (state, detail)
            assert detail.endswith(f"s: check the endpoint configuration (ws_url of account {account})")
            assert what in detail
            assert "REST resync" not in detail
        assert {s for s, _ in seen[first:]} >= {ChannelState.STALE, ChannelState.SYNCING}
        alert = next(a for k, a in alerts.active.items() if k.rule is AlertRule.STALE_FEED and k.subject == "mark")
        assert f"at {endpoint} but no data for" in alert.message and "check the endpoint configuration" in alert.message
        assert "REST resync" not in alert.message
        # Fed again: the text goes with the silence.
        env.emu.faults.ack_without_data(target, on=False)
        await eventually(lambda: mark.state is ChannelState.LIVE, 15, "LIVE once the route feeds")
        status = mark.status(env.monitor.clock.monotonic())
        assert status.detail == "" and mark.silent_for(env.monitor.clock.monotonic()) is None
