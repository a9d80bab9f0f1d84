"""What an adapter holds, kept from what it applied (``HeldLegs``), follows the store's ordering rules: checked
against a MonitorStore given the same events, so that the adapter never needs to read the store back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from liqwatch.clock import FakeClock
from liqwatch.feeds.held import HeldLegs
from liqwatch.model import (
    AccountSpec,
    AccountState,
    Exchange,
    MarginMode,
    Position,
    PositionMode,
    PositionUpdate,
    Side,
    Stamp,
)
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable

T0 = datetime(2026, 5, 1, 8, tzinfo=UTC)
SPEC = AccountSpec("a", Exchange.BINANCE)
FLAT = TierTable.flat(0.004)


def pos(symbol: str, size: float) -> Position:
    return Position(symbol, Side.LONG, size, 100.0, MarginMode.CROSS, FLAT, PositionMode.ONE_WAY, leverage=10)


def update(symbol: str, size: float | None, at: datetime) -> PositionUpdate:
    return PositionUpdate("a", (symbol, Side.LONG), pos(symbol, size) if size is not None else None, Stamp(at, at))


def both(events: list[PositionUpdate | AccountState]) -> tuple[HeldLegs, MonitorStore]:
    store = MonitorStore(FakeClock(T0))
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    held = HeldLegs()
    for e in events:
        if store.apply(e) or isinstance(e, PositionUpdate):  # as FeedAdapter.emit does
            held.applied(e)
    return held, store


def sizes(held: HeldLegs, store: MonitorStore) -> tuple[dict[str, float], dict[str, float]]:
    return ({p.symbol: p.size for p in held.positions()},
            {p.symbol: p.size for p in store.book("a").positions()})


def test_a_stale_update_changes_nothing_and_a_close_removes_the_leg() -> None:
    held, store = both([update("BTC", 1.0, T0), update("BTC", 2.0, T0 - timedelta(seconds=1)),
                        update("ETH", 3.0, T0), update("ETH", None, T0 + timedelta(seconds=1))])
    mine, theirs = sizes(held, store)
    assert mine == theirs == {"BTC": 1.0}
    assert held.opened_at(("BTC", Side.LONG)) == T0 and held.symbols() == {"BTC"}


def test_a_snapshot_replaces_the_legs_but_keeps_a_newer_stream_update() -> None:
    snap = AccountState(SPEC, 1000.0, (pos("BTC", 5.0), pos("SOL", 1.0)), as_of=T0)
    held, store = both([update("ETH", 3.0, T0 - timedelta(seconds=5)),  # older than the snapshot: replaced
                        update("BTC", 2.0, T0 + timedelta(seconds=1)),  # newer: kept over the snapshot's
                        snap])
    mine, theirs = sizes(held, store)
    assert mine == theirs == {"BTC": 2.0, "SOL": 1.0}
    # A later snapshot without BTC closes it; an update older than that snapshot then changes nothing.
    later = AccountState(SPEC, 1000.0, (pos("SOL", 1.0),), as_of=T0 + timedelta(seconds=10))
    held2, store2 = both([snap, later, update("BTC", 7.0, T0 + timedelta(seconds=9))])
    mine, theirs = sizes(held2, store2)
    assert mine == theirs == {"SOL": 1.0}


def test_nothing_is_evaluated_while_the_mode_is_not_modelled() -> None:
    state = AccountState(SPEC, 1000.0, (pos("BTC", 1.0),), as_of=T0, mode_not_modelled="Multi-Assets mode")
    held, store = both([state])
    mine, theirs = sizes(held, store)
    assert mine == theirs == {} and held.symbols() == {"BTC"}


def test_rest_replaces_a_newer_stream_version_after_two_disagreeing_reconciliations_as_in_the_store() -> None:
    # A stream version dated ahead of every snapshot (a skewed clock): the first REST state yields to it, the
    # second that disagrees too replaces it (``disagreement``), for a size and for a close alike.
    ahead = T0 + timedelta(seconds=30)
    for stream in (0.9, None):
        first = AccountState(SPEC, 1000.0, (pos("BTC", 0.5),), as_of=T0 + timedelta(seconds=1))
        second = AccountState(SPEC, 1000.0, (pos("BTC", 0.5),), as_of=T0 + timedelta(seconds=2))
        held, store = both([update("BTC", 0.5, T0), update("BTC", stream, ahead), first])
        mine, theirs = sizes(held, store)
        assert mine == theirs == ({"BTC": stream} if stream else {})
        held, store = both([update("BTC", 0.5, T0), update("BTC", stream, ahead), first, second])
        mine, theirs = sizes(held, store)
        assert mine == theirs == {"BTC": 0.5}, f"stream {stream}"
