"""review15engine: a loop stall that holds a channel whose state is still STALE (from an earlier stall) while
it reads LIVE (its hold over, no check since) changes what it reads without a state transition. The
incremental snapshot reused the account's view, showing the channel LIVE and its figures fresh, while a full
build shows it STALE: a stale value shown as fresh."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import Channel, ChannelKind, ChannelState
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, MarkTick, Position, Side, Stamp
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)


def test_a_second_stall_holding_a_quiet_channel_that_reads_live_is_shown_at_once() -> None:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    spec = AccountSpec("a", Exchange.BINANCE)
    store.add_account(spec, risk_rules(Exchange.BINANCE))
    market = Channel("a", "mark", ChannelKind.MARKET, 30.0)
    user = Channel("a", "user", ChannelKind.QUIET, 60.0)
    for ch in (market, user):
        store.add_channel(ch)
        ch.subscribed(clock.monotonic())
    sym = "BTC/USDT:USDT"
    store.apply(AccountState(spec, 1000.0, (Position(sym, Side.LONG, 1.0, 100.0, MarginMode.CROSS,
                                                     TierTable.flat(0.005), leverage=10),)))
    for ch in (market, user):
        ch.synced(clock.monotonic())
    store.apply(MarkTick(Exchange.BINANCE, sym, 100.0, Stamp(T0, T0)))
    market.data(clock.monotonic())
    assert store.snapshot().accounts[0].feeds_live

    # A first stall holds both; its hold ends; the market channel is fed (LIVE again), the quiet one reads
    # LIVE by time alone (no check since: its state is still STALE).
    now = clock.monotonic()
    for ch in (market, user):
        ch.hold(now + 0.5, "event loop stalled")
    clock.advance(1.0)
    store.apply(MarkTick(Exchange.BINANCE, sym, 100.5, Stamp(clock.now(), clock.now())))
    market.data(clock.monotonic())
    assert user.state is ChannelState.STALE and user.state_at(clock.monotonic()) is ChannelState.LIVE
    first = store.snapshot()
    assert first.accounts[0].feeds_live

    # A second stall: the quiet channel reads STALE again (held), no state transition.
    clock.advance(0.2)
    now = clock.monotonic()
    for ch in (market, user):
        ch.hold(now + 0.5, "event loop stalled")
    assert user.state_at(clock.monotonic()) is ChannelState.STALE
    # The market channel was LIVE: it went STALE (a transition). Make it read LIVE again so only the quiet
    # channel's hold is in question.
    clock.advance(0.6)
    store.apply(MarkTick(Exchange.BINANCE, sym, 100.6, Stamp(clock.now(), clock.now())))
    market.data(clock.monotonic())
    first = store.snapshot()  # the market channel's transition made this a fresh view: cache it
    assert first.accounts[0].feeds_live  # both read LIVE (the quiet one's hold is over, state STALE)
    clock.advance(0.1)
    user.hold(clock.monotonic() + 0.5, "event loop stalled")  # only the quiet one held: still state STALE
    assert user.state_at(clock.monotonic()) is ChannelState.STALE
    inc, full = store.snapshot().accounts[0], store.full_snapshot().accounts[0]
    assert not full.feeds_live
    assert [f.state for f in inc.feeds] == [f.state for f in full.feeds]
    assert inc.feeds_live == full.feeds_live and inc.fresh == full.fresh and inc.status == full.status
