"""Row 20 of the fault catalogue: the event loop blocked (a blocking call on it, CPU-bound work) while the
feeds run against the emulator over real sockets. The stall is detected and alerted with its measured lag,
values are not shown as fresh during it nor right after it (what is read then waited in the socket buffer),
the alert clears once the loop has recovered, and the sockets survive (no idle or keepalive close)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import replace

from liqwatch.alert_levels import AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertState, EventKind
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import ChannelState
from tests.feeds.harness import FAST, eventually, running

# A market limit well over the stall, so that only the stall detection can say the values are not fresh;
# the socket's idle limit under it, so that counting the stall as silence would close the socket.
OPTS = replace(FAST, market_max_age_s=5.0, idle_timeout_s=1.5)
STALL_S = 2.0


async def test_20_a_blocked_event_loop_is_detected_alerted_and_not_shown_as_fresh() -> None:
    async with running(only=("binance-main",), options=OPTS) as env:
        assert await env.monitor.wait_live(15)
        env.monitor.loop_lag.report_s = 2.0  # the alert's window, short for the test
        adapter = env.adapter("binance-main")
        connects = (adapter.market_stream.connects, adapter.user_stream.connects)
        channels = env.monitor.store.channels("binance-main")
        await asyncio.sleep(0.3)  # the loop-lag timer has beaten at least once since start

        time.sleep(STALL_S)  # noqa: ASYNC251 - the fault itself: a blocking call on the event loop
        # The first snapshot read after the stall, before the loop has run anything else (no frame read,
        # no timer fired): the data is as old as the stall, and must not be shown as fresh.
        snap = env.monitor.store.snapshot()
        account = snap.account("binance-main")
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
        assert not env.monitor.store.snapshot().account("binance-main").fresh
        assert all(not ch.live for ch in [c.status(env.monitor.clock.monotonic()) for c in channels])

        # Fresh again from frames received after the buffer drained; the alert clears when the loop recovers.
        await eventually(lambda: env.monitor.store.snapshot().account("binance-main").fresh, 10, "fresh again")

        def cleared() -> bool:
            nonlocal alerts
            s = env.monitor.store.snapshot()
            alerts, evs = evaluate(alerts, s, ThresholdMap(), s.time)
            return any(e.kind is EventKind.CLEARED and e.alert.key.rule is AlertRule.LOOP_LAG for e in evs)

        await eventually(cleared, 10, "the loop-lag alert to clear")
        # The sockets survived the stall: no idle close, no reconnect.
        assert (adapter.market_stream.connects, adapter.user_stream.connects) == connects
        assert all(ch.state is ChannelState.LIVE for ch in channels)
        assert env.monitor.loop_lag.stalls == 1
