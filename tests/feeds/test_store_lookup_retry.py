"""A history look-up that fails is asked again with backoff, and until one answers the account never reads
"ok": a position that vanished may have been liquidated (issue 9, section 3)."""

from __future__ import annotations

from datetime import timedelta

from liqwatch.clock import FakeClock
from liqwatch.liquidation_book import RETRY_FIRST_S, RETRY_MAX_S
from liqwatch.liquidations import PreviousRun
from liqwatch.model import AccountState, Exchange, Side
from liqwatch.risk.registry import risk_rules
from liqwatch.status import Status
from liqwatch.store import MonitorStore
from tests.feeds.test_store_unevaluated import BTC, ETH, SPEC, T0


def _level(store: MonitorStore) -> Status:
    """The account's danger level (its status but for freshness: these accounts have no live feed)."""
    return store.snapshot().account("main").danger


def _store() -> tuple[MonitorStore, FakeClock]:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    store.set_previous_run("main", PreviousRun(T0 - timedelta(minutes=5), (("ETH/USDT:USDT", Side.SHORT, 4.0),)))
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0))
    return store, clock


def test_a_failed_lookup_is_handed_out_again_with_backoff_and_the_account_is_not_ok_meanwhile() -> None:
    store, clock = _store()
    [closed] = store.take_closed_since_last_run("main")
    assert closed.key == ETH.key
    assert _level(store) is not Status.OK  # asked, not answered yet
    delays = []
    for failures in range(1, 12):
        assert store.closed_lookup_answered("main", closed, False) == failures
        assert store.take_closed_since_last_run("main") == []  # not before its time
        waited = 0.0
        while not store.take_closed_since_last_run("main"):
            clock.advance(1.0)
            waited += 1.0
            assert waited <= RETRY_MAX_S + 1, "never asked again"
            assert _level(store) is not Status.OK
        delays.append(waited)
    assert delays[0] <= RETRY_FIRST_S + 1 and delays == sorted(delays) and delays[-1] <= RETRY_MAX_S + 1, delays
    assert store.closed_lookup_answered("main", closed, True) == 0
    assert store.take_closed_since_last_run("main") == []
    assert _level(store) is Status.OK  # the history answered: nothing is unknown


def test_an_answered_lookup_is_not_asked_again() -> None:
    store, clock = _store()
    [closed] = store.take_closed_since_last_run("main")
    store.closed_lookup_answered("main", closed, True)
    clock.advance(RETRY_MAX_S * 2)
    assert store.take_closed_since_last_run("main") == []
    assert _level(store) is Status.OK
