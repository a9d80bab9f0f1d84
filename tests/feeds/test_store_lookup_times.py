"""Every history look-up the store hands out is dated on the exchange's clock (``ClosedSinceLastRun.since``):
a position found gone while blind by the exchange time it was last seen at, one closed since the last run by
that run's local "seen at" converted with the exchange's clock as the adapter measures it."""

from __future__ import annotations

from datetime import timedelta

from liqwatch.clock import FakeClock
from liqwatch.liquidations import PreviousRun
from liqwatch.model import AccountState, Exchange, Side
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from tests.feeds.test_store_unevaluated import BTC, ETH, SPEC, T0

HOUR = timedelta(hours=1)


def test_the_last_runs_seen_at_is_converted_to_the_exchanges_clock() -> None:
    store = MonitorStore(FakeClock(T0 - HOUR))  # the local clock an hour behind the exchange's
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    seen_local = T0 - HOUR - timedelta(minutes=10)
    store.set_previous_run("main", PreviousRun(seen_local, (("ETH/USDT:USDT", Side.SHORT, 4.0),)))
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0))
    [closed] = store.take_closed_since_last_run("main", lambda local: local + HOUR)
    assert (closed.key, closed.since, closed.source) == (ETH.key, seen_local + HOUR, "history")


def test_a_close_while_blind_is_dated_by_the_exchange_time_it_was_last_seen_at() -> None:
    store = MonitorStore(FakeClock(T0 - HOUR))
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    store.apply(AccountState(SPEC, 100_000, (BTC, ETH), as_of=T0))
    store.apply(AccountState(SPEC, 100_000, (BTC,), as_of=T0 + timedelta(seconds=20)))
    [closed] = store.take_closed_since_last_run("main", lambda local: local + HOUR)  # not applied to it
    assert (closed.key, closed.since, closed.source) == (ETH.key, T0, "blind")
