"""review15engine: the engine builds just after the earliest limit by time of the last build's views
(``store.next_change_mono``), so that a channel reaching its freshness limit is shown STALE, and judged, when
it does. That earliest limit was the minimum over every view: one account with a channel not LIVE (its limit
-inf) or with a limit already passed (a mark gone stale, an exchange liquidation price not reported again)
put it in the past, and the engine ignored it: every other account's channel went STALE on screen and for the
alerts only at the next ``fresh_s`` build. Freshness an hour away here: only the limit can build it."""

from __future__ import annotations

import asyncio

from liqwatch.feed_channel import ChannelState
from liqwatch.monitor_engine import MonitorEngine
from liqwatch.read_model import MonitorSnapshot
from tests.feeds.harness import eventually
from tests.feeds.test_store_incremental import Book

HOUR = 3600.0
SHARED = "SHARED/USDT:USDT"


def _feed(snap: MonitorSnapshot | None, account: str) -> ChannelState | None:
    if snap is None:
        return None
    return next(f.state for f in snap.feeds if f.account == account)


async def test_a_channel_reaching_its_limit_is_built_while_another_account_is_not_live() -> None:
    book = Book(max_age_s=5.0)
    book.channels["a0"].reconnecting("socket closed")  # a0 not LIVE: evaluated afresh at every build
    engine = MonitorEngine(book.store, poll_s=0.01, fresh_s=HOUR)
    async with asyncio.timeout(30), engine:
        assert _feed(engine.latest, "a1") is ChannelState.LIVE
        book.clock.advance(5.5)  # a1's (and a2's) channel past its limit, no change in the store
        await eventually(lambda: _feed(engine.latest, "a1") is ChannelState.STALE, 5.0, "a1 shown STALE")


async def test_a_channel_reaching_its_limit_is_built_after_another_limit_passed() -> None:
    book = Book(max_age_s=5.0)
    engine = MonitorEngine(book.store, poll_s=0.01, fresh_s=HOUR)
    async with asyncio.timeout(30), engine:
        book.clock.advance(3.0)
        book.mark(SHARED, 101.0)  # every channel fed (limit t0+8); the S.. marks stay those of t0 (limit t0+5)
        await eventually(lambda: engine.version == book.store.version, 5.0, "the mark built")
        builds = engine.builds
        book.clock.advance(2.5)  # the S.. marks past their limit: built at it (their positions not fresh)
        await eventually(lambda: engine.builds > builds, 5.0, "the marks' limit built")
        assert _feed(engine.latest, "a1") is ChannelState.LIVE
        book.clock.advance(3.0)  # the channels past theirs
        await eventually(lambda: _feed(engine.latest, "a1") is ChannelState.STALE, 5.0, "a1 shown STALE")
