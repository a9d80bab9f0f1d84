"""Issue 10: a key revoked while running (Binance answers 401 -2015 to every call made with it) is not
retried forever: the account is disabled with the exchange's message, its channels go down and an alert is
raised, as when the key is refused at start; the other accounts carry on. Over real sockets."""

from __future__ import annotations

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertState, EventKind
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import ChannelState
from tests.feeds.harness import eventually, running


async def test_a_key_revoked_while_running_disables_the_account_and_raises_an_alert() -> None:
    async with running(only=("binance-main", "hl-whale")) as env:
        assert await env.monitor.wait_live(15)
        store, clock = env.monitor.store, env.monitor.clock
        thresholds = ThresholdMap(AlertThresholds())
        state, _ = evaluate(AlertState(), store.snapshot(), thresholds, clock.now())
        adapter = env.adapter("binance-main")
        env.emu.sim.revoke_binance_key("binance-main")
        await eventually(lambda: store.snapshot().account("binance-main").disabled_reason is not None, 10,
                         "the account disabled")
        reason = store.snapshot().account("binance-main").disabled_reason or ""
        assert "-2015" in reason and "Invalid API-key, IP, or permissions for action." in reason  # Binance's words
        failures = adapter.reconcile_failures
        await eventually(lambda: all(t.done() for t in env.monitor._tasks if t.get_name() == "feed:binance-main"),
                         5, "the feed to stop (not retried forever)")
        assert adapter.reconcile_failures == failures
        assert all(c.state is not ChannelState.LIVE for c in store.channels("binance-main"))
        _, events = evaluate(state, store.snapshot(), thresholds, clock.now())
        raised = [e for e in events if e.kind is EventKind.RAISED and e.alert.key.account == "binance-main"]
        assert raised and raised[0].alert.key.rule is AlertRule.RISK_EVENT
        assert "API key refused" in raised[0].alert.message
        # The other account is still watched.
        assert all(c.state is ChannelState.LIVE for c in store.channels("hl-whale"))
