"""Hostile review of issue 9: the store's rules, driven directly (no I/O). Each test fails on the code it was
written against and passes once the defect named in its docstring is fixed."""

from __future__ import annotations

from datetime import timedelta

from liqwatch.clock import FakeClock
from liqwatch.liquidations import PreviousRun
from liqwatch.model import AccountState, Exchange, FundingPayment, MarginMode, Position, PositionUpdate, Side, Stamp
from liqwatch.risk.registry import risk_rules
from liqwatch.store import FundingPaid, MonitorStore
from liqwatch.tiers import TierTable
from tests.feeds.test_store_unevaluated import BTC, ETH, ETH_UNEVALUATED, SPEC, T0, live_store


def test_an_unevaluated_position_gone_from_a_rest_snapshot_is_looked_up_like_any_other() -> None:
    """DEFECT: a position the store holds as "not evaluated" (e.g. no leverage bracket) that is missing from the
    next REST reconciliation is deleted silently (``del acc.unevaluated[key]``): no "closed while the stream was
    blind" incident and no look-up in the exchange's history, so its liquidation leaves no trace. An evaluated
    position in the same situation gets both.
    EXPECTED: the same incident and the same history look-up as for an evaluated position."""
    store = live_store()
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0, unevaluated=(ETH_UNEVALUATED,)))
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0 + timedelta(seconds=20)))  # ETH gone
    assert store.snapshot().account("main").unevaluated == ()
    assert any("ETH/USDT:USDT short closed while the stream was blind" in i for i in store.incidents)
    assert [c.key for c in store.take_closed_since_last_run("main")] == [ETH.key]


def test_a_position_still_held_but_not_evaluated_is_not_closed_since_the_last_run() -> None:
    """DEFECT: ``_compare_with_last_run`` looks only at evaluated positions (``acc.book``); a position the last
    run saw and this run holds as "not evaluated" (a missing bracket, or a mode not modelled) is handed to the
    adapter as closed since the last run, so the exchange's history is searched for a liquidation of a position
    that is still open (an incident "closed ... (no liquidation in the exchange's history)", or a false
    LIQUIDATED if an older liquidation of that leg is in the window).
    EXPECTED: a position still held, evaluated or not, is not "closed since the last run"."""
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    store.set_previous_run("main", PreviousRun(T0 - timedelta(hours=1), (
        ("BTC/USDT:USDT", Side.LONG, 1.0), ("ETH/USDT:USDT", Side.SHORT, 4.0))))
    # This run's first snapshot: both still open, ETH not evaluable (no leverage bracket this time).
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0, unevaluated=(ETH_UNEVALUATED,)))
    assert [u.key for u in store.snapshot().account("main").unevaluated] == [ETH.key]
    assert store.take_closed_since_last_run("main") == []


def test_rest_wins_over_the_stream_for_a_not_evaluated_position_too() -> None:
    """DEFECT (lesser): a REST snapshot that (for two reconciliations)
    disagrees about a not-evaluated position is never counted as a disagreement: ``positions_agree`` compares
    only the evaluated books (both None), so the stream's version of a not-evaluated position always "wins"
    over REST while its time is ahead of the snapshot's, and no incident is recorded.
    EXPECTED: the REST state replaces the stream's after two disagreeing reconciliations, with an incident,
    for not-evaluated positions as for evaluated ones. (Through the adapters a stream time is at most 5 s ahead,
    so with the default 20 s reconciliation this holds state for one interval at most: the rule's gap shows at
    the store, or with reconciliation intervals under 2.5 s.)"""
    store = live_store()
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0, unevaluated=(ETH_UNEVALUATED,)))
    ahead = T0 + timedelta(seconds=60)  # a stream event whose (accepted) time is ahead of the snapshots'
    store.apply(PositionUpdate("main", ETH.key, None, Stamp(ahead, ahead)))
    assert store.snapshot().account("main").unevaluated == ()
    for s in (10, 20):  # two reconciliations that still show the ETH short
        store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0 + timedelta(seconds=s),
                                 unevaluated=(ETH_UNEVALUATED,)))
    assert [u.key for u in store.snapshot().account("main").unevaluated] == [ETH.key]
    assert any("disagreed with two REST reconciliations" in i for i in store.incidents)


def test_funding_since_open_does_not_depend_on_the_local_clock() -> None:
    """DEFECT: when a position is first seen in a REST snapshot without its own open time (Binance), the store
    dates its opening with the LOCAL wall clock (``opened_at.setdefault(p.key, p.opened_at or now)`` with
    ``now = self.clock.now()``), while funding payments carry the exchange's time. With the local clock an hour
    fast, a settlement 30 minutes after liqwatch started is "before the position opened": funding since open
    reads 0 for a position that paid. Ordering must never depend on the local wall clock (issue 9, 1).
    EXPECTED: the opening is dated on the exchange's clock (the snapshot's ``as_of``), and the payment counts."""

    clock = FakeClock(T0 + timedelta(hours=1))  # the machine's clock is an hour fast; the exchange is at T0
    store = MonitorStore(clock)
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0 - timedelta(seconds=1)))
    settled = T0 + timedelta(minutes=30)
    store.apply(FundingPaid("main", (FundingPayment(BTC.symbol, -12.5, settled, payment_id="f1"),)))
    (pos,) = store.snapshot().account("main").positions
    assert pos.funding_paid_since_open == -12.5


def test_rest_replacing_a_wrong_stream_position_is_not_a_close_while_blind() -> None:
    """DEFECT: when two reconciliations disagree with a position the stream opened (a plausible but wrong
    frame), the REST state replaces it, and the replacement falls through to the "closed while the stream was
    blind" branch: besides the disagreement incident, an incident says a position closed that the exchange never
    held, and the exchange's liquidation history is searched for it (a ``ClosedSinceLastRun`` of source "blind").
    EXPECTED: only the disagreement incident; no "closed while blind" incident and no history look-up."""
    store = live_store()
    sol = Position("SOL/USDT:USDT", Side.LONG, 10.0, 150.0, MarginMode.CROSS, TierTable.flat(0.01), leverage=10)
    ahead = T0 + timedelta(seconds=60)  # accepted by the stream's rule, ahead of the next snapshots
    store.apply(PositionUpdate("main", sol.key, sol, Stamp(ahead, ahead)))
    for s in (10, 20):
        store.apply(AccountState(SPEC, 100_000, (BTC, ETH), as_of=T0 + timedelta(seconds=s)))
    assert sol.key not in {p.key for p in store.book("main").positions()}
    assert any("SOL/USDT:USDT long: the stream's state disagreed" in i for i in store.incidents)
    assert not any("SOL/USDT:USDT long closed while the stream was blind" in i for i in store.incidents)
    assert store.take_closed_since_last_run("main") == []
