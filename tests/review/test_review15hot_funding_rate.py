"""Review of the Binance feed hot path (docs/dev/review15hot.md, finding 1): a markPrice frame whose funding rate
is absurd (``"r": "1e300"``, or 500% per interval) is an implausible frame, and the rule is that an implausible
frame is counted and logged, never applied in part. Before the fix both the lean path and the general reader
applied it whole: the store's funding rate became 1e300 and the position's next funding payment (``funding_cashflow``
of size x price x rate) an absurd or infinite figure on the screen. Both readers must refuse it alike."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from liqwatch.clock import FakeClock
from liqwatch.model import Exchange
from tests.feeds.test_lean_mark_path import T0, Logs, Twin, event, frame, now_ms

KEY = (Exchange.BINANCE, "BTC/USDT:USDT")


@pytest.fixture
def logs() -> Any:
    handler = Logs()
    logger = logging.getLogger("liqwatch.feeds.adapter")
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


@pytest.mark.parametrize("lean", [True, False])
@pytest.mark.parametrize("rate", ["1e300", "-1e300", "5", "-2.5", "1e308"])
def test_an_absurd_funding_rate_is_refused_and_counted(lean: bool, rate: str, logs: Logs) -> None:
    clock = FakeClock(T0)
    twin = Twin(clock, lean)
    twin.read(frame(event("BTCUSDT", "60000", now_ms(clock), r="0.00010000")), clock.monotonic(), clock.now())
    twin.adapter.apply_queued(twin.adapter.ticks.drain())
    assert twin.store._markets[KEY].state.funding_rate == 0.0001
    clock.advance(1.0)
    logs.lines.clear()
    twin.read(frame(event("BTCUSDT", "60001", now_ms(clock), r=rate)), clock.monotonic(), clock.now())
    twin.adapter.apply_queued(twin.adapter.ticks.drain())
    assert twin.adapter.malformed == 1  # counted
    assert [lvl for lvl, said in logs.lines if "funding rate" in said] == [logging.WARNING]  # logged, once
    m = twin.store._markets[KEY]
    assert (m.state.mark_price, m.state.funding_rate) == (60000.0, 0.0001)  # nothing of it applied
    assert len(twin.recorder.lines) == 2  # recorded as received all the same


@pytest.mark.parametrize("lean", [True, False])
def test_a_plausible_funding_rate_still_applies(lean: bool, logs: Logs) -> None:
    """The bound is far beyond any exchange's cap (a few percent per interval): a high but real rate applies."""
    clock = FakeClock(T0)
    twin = Twin(clock, lean)
    twin.read(frame(event("BTCUSDT", "60000", now_ms(clock), r="-0.03000000")), clock.monotonic(), clock.now())
    twin.adapter.apply_queued(twin.adapter.ticks.drain())
    assert twin.adapter.malformed == 0 and twin.store._markets[KEY].state.funding_rate == -0.03


def test_a_rest_mark_with_an_absurd_funding_rate_is_a_bad_item(logs: Logs) -> None:
    """The REST reconciliation that wins over the frames must not carry the absurd rate in instead: the item is
    counted, logged and skipped (its symbol keeps the mark it had), as an item with an implausible time is."""
    clock = FakeClock(T0)
    twin = Twin(clock, lean=True)
    twin.read(frame(event("BTCUSDT", "60000", now_ms(clock))), clock.monotonic(), clock.now())
    twin.adapter.apply_queued(twin.adapter.ticks.drain())
    clock.advance(1.0)
    item = {"symbol": "BTCUSDT", "markPrice": "60010", "indexPrice": "60011", "lastFundingRate": "1e300",
            "nextFundingTime": 1777636800000, "time": now_ms(clock)}
    twin.adapter._apply_marks([item], {"BTC/USDT:USDT"})
    assert twin.adapter.bad_items == 1
    m = twin.store._markets[KEY]
    assert (m.state.mark_price, m.state.funding_rate) == (60000.0, 0.0001)
