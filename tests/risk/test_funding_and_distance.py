"""Funding schedule and cash flows; distance to liquidation in % and in sigma; the volatility window."""

from __future__ import annotations

import itertools
import math
import random
from datetime import UTC, datetime, timedelta

import pytest

from liqwatch.clock import FakeClock
from liqwatch.funding import (
    annualized_rate,
    daily_cost,
    funding_cashflow,
    next_settlement,
    seconds_to,
)
from liqwatch.funding_ledger import FundingLedger
from liqwatch.model import FundingPayment, Side
from liqwatch.risk.distance import distance_pct, distance_sigma
from liqwatch.risk.volatility import MinuteVolatility

T0 = datetime(2026, 3, 1, 7, 59, 30, tzinfo=UTC)


def test_sign_convention_positive_rate_longs_pay() -> None:
    assert funding_cashflow(Side.LONG, 2, 100, 0.001) == pytest.approx(-0.2)
    assert funding_cashflow(Side.SHORT, 2, 100, 0.001) == pytest.approx(0.2)
    assert funding_cashflow(Side.SHORT, 2, 100, -0.001) == pytest.approx(-0.2)


def test_annualized_and_daily() -> None:
    assert annualized_rate(0.0001, 8) == pytest.approx(0.1095)
    assert annualized_rate(0.0000125, 1) == pytest.approx(0.1095)
    assert daily_cost(Side.LONG, 1, 60_000, 0.0001, 8) == pytest.approx(-18.0)
    with pytest.raises(ValueError):
        annualized_rate(0.0001, 0)


@pytest.mark.parametrize(
    ("now", "interval", "expected"),
    [
        (T0, 8, datetime(2026, 3, 1, 8, tzinfo=UTC)),
        (datetime(2026, 3, 1, 8, tzinfo=UTC), 8, datetime(2026, 3, 1, 16, tzinfo=UTC)),  # exactly at: the next one
        (datetime(2026, 3, 1, 23, 10, tzinfo=UTC), 8, datetime(2026, 3, 2, 0, tzinfo=UTC)),
        (datetime(2026, 3, 1, 13, 0, 1, tzinfo=UTC), 4, datetime(2026, 3, 1, 16, tzinfo=UTC)),
        (datetime(2026, 3, 1, 13, 59, tzinfo=UTC), 1, datetime(2026, 3, 1, 14, tzinfo=UTC)),
    ],
)
def test_next_settlement(now: datetime, interval: float, expected: datetime) -> None:
    assert next_settlement(now, interval) == expected


def test_next_settlement_rejects_naive_time() -> None:
    with pytest.raises(ValueError):
        next_settlement(datetime(2026, 3, 1), 8)


def test_countdown_follows_the_injected_clock() -> None:
    clock = FakeClock(T0)
    nxt = next_settlement(clock.now(), 8)
    assert seconds_to(clock.now(), nxt) == 30
    clock.advance(20)
    assert seconds_to(clock.now(), nxt) == 10


def test_paid_since_open_counts_only_this_symbol_after_opening() -> None:
    opened = datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    pays = [
        FundingPayment("BTC/USDT:USDT", -3.0, opened - timedelta(hours=8), payment_id="a"),  # before opening
        FundingPayment("BTC/USDT:USDT", -2.5, opened, payment_id="b"),
        FundingPayment("BTC/USDT:USDT", 1.0, opened + timedelta(hours=8), payment_id="c"),
        FundingPayment("ETH/USDT:USDT", -7.0, opened + timedelta(hours=8), payment_id="d"),
        FundingPayment("BTC/USDT:USDT", 1.0, opened + timedelta(hours=8), payment_id="c"),  # duplicate delivery
    ]
    ledger = FundingLedger()
    ledger.add(pays)
    assert ledger.since("BTC/USDT:USDT", opened) == pytest.approx(-1.5)
    assert ledger.since("BTC/USDT:USDT", None) == pytest.approx(-4.5)


def test_distance_pct_sign_by_side() -> None:
    assert distance_pct(Side.LONG, 100, 90) == pytest.approx(10)
    assert distance_pct(Side.SHORT, 100, 110) == pytest.approx(10)
    assert distance_pct(Side.LONG, 100, 105) == pytest.approx(-5)  # past it
    assert distance_pct(Side.SHORT, 100, None) is None


def test_distance_sigma() -> None:
    assert distance_sigma(Side.LONG, 100, 90, 0.02) == pytest.approx(math.log(100 / 90) / 0.02)
    assert distance_sigma(Side.SHORT, 100, 110, 0.02) == pytest.approx(math.log(110 / 100) / 0.02)
    assert distance_sigma(Side.LONG, 100, 90, None) is None
    assert distance_sigma(Side.LONG, 100, None, 0.02) is None


def test_minute_volatility_matches_a_direct_computation() -> None:
    rng = random.Random(11)
    vol = MinuteVolatility(window_minutes=60)
    t = 1_699_999_980.0  # a whole minute, so that five 12-second ticks fill each minute
    price = 100.0
    closes = []
    for _minute in range(200):
        for _tick in range(5):  # several ticks a minute; the last one closes the minute
            price *= math.exp(rng.gauss(0, 0.001))
            vol.update(t, price)
            t += 12
        closes.append(price)
    # Returns between closed minutes; the running minute is not closed yet.
    rets = [math.log(b / a) for a, b in itertools.pairwise(closes[:-1])][-60:]
    mean = sum(rets) / len(rets)
    sd = math.sqrt(sum((r - mean) ** 2 for r in rets) / (len(rets) - 1))
    assert vol.count == 60
    assert vol.sigma_hour() == pytest.approx(sd * math.sqrt(60), rel=1e-9)


def test_minute_volatility_needs_enough_data_and_ignores_old_minutes() -> None:
    vol = MinuteVolatility(window_minutes=60, min_returns=10)
    for m in range(5):
        vol.update(m * 60.0, 100 + m)
    assert vol.sigma_hour() is None
    vol.update(0.0, 1.0)  # an out-of-order tick from an older minute is ignored
    assert vol.count == 3
