"""Issue 9, section 2: ages are the data's ages. A row whose account channel is SYNCING (its REST resync
failing) must not read "0s old" because its mark is young: its positions and wallet are as old as their last
confirmation. The exchange's own liquidation price carries its own age and goes stale like any other value."""

from __future__ import annotations

from liqwatch.feed_channel import ChannelState
from tests.feeds.harness import FAST, eventually, running

MAIN = ("binance-main",)


async def test_rows_age_with_their_account_data_while_the_user_channel_resyncs() -> None:
    async with running(only=MAIN) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        before = store.snapshot().account("binance-main")
        assert before.positions and all(p.exchange_liq_fresh for p in before.positions)
        assert all(p.exchange_liq_age_s is not None and p.exchange_liq_age_s < 2.5 for p in before.positions)
        env.emu.faults.rest_error(500, exchange="binance", seconds=8)
        await env.emu.faults.drop("binance-user")
        user, mark = env.channel("binance-main", "user"), env.channel("binance-main", "mark")
        await eventually(lambda: user.state is not ChannelState.LIVE, 2, "the user channel not LIVE")

        def aged() -> bool:
            a = store.snapshot().account("binance-main")
            return mark.state is ChannelState.LIVE and all(
                not p.fresh and p.age_s is not None and p.age_s > 3 * FAST.reconcile_interval_s
                and not p.exchange_liq_fresh and (p.exchange_liq_age_s or 0) > 3 * FAST.reconcile_interval_s
                for p in a.positions)

        # The marks stay live and young; the rows' ages are those of the unconfirmed account data.
        await eventually(aged, 6, "rows aged as their account data, not as their mark")
        await eventually(lambda: user.state is ChannelState.LIVE, 20, "LIVE once REST answers again")
        after = store.snapshot().account("binance-main")
        assert all(p.fresh and p.age_s is not None and p.age_s < 2.5 and p.exchange_liq_fresh
                   for p in after.positions)
