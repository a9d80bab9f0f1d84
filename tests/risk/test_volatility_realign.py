"""Marks ordered by arrival (Hyperliquid's carry no time) are dated from the local clock plus the measured
offset: after a wall-clock jump is re-measured their periods go backwards. Such a mark is still the newest
there is, so it realigns the running period instead of being dropped until the misdated period is reached."""

from __future__ import annotations

import math

from liqwatch.risk.volatility import MinuteVolatility


def test_a_mark_ordered_by_arrival_realigns_a_misdated_running_minute() -> None:
    vol = MinuteVolatility(window_minutes=60, min_returns=2)
    for m in range(3):
        vol.update(m * 60.0, 100.0 + m, realign=True)
    vol.update(3600.0 + 180.0, 105.0, realign=True)  # the wall clock an hour ahead for a moment
    vol.update(180.0 + 5, 103.0, realign=True)  # back, re-measured: minute 3 is the running one
    assert vol.minutes._period == 3 and vol.minutes._period_close == 103.0
    vol.update(240.0, 104.0, realign=True)  # minute 4 closes minute 3 with its real close
    assert vol.minutes._returns[-1] == math.log(103.0 / 102.0)


def test_a_timed_mark_of_an_older_minute_is_still_ignored() -> None:
    vol = MinuteVolatility(window_minutes=60, min_returns=2)
    for m in range(3):
        vol.update(m * 60.0, 100.0 + m)
    vol.update(0.0, 1.0)  # a timed mark (exchange time) of an older minute: out of order, not news
    assert vol.minutes._period == 2 and vol.minutes._period_close == 102.0
