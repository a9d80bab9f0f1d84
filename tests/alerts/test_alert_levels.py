"""Ladders with hysteresis, and the no-spam property over arbitrary series."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.model import EventKind
from liqwatch.config.thresholds import EngineOptions
from liqwatch.level_ladders import falling, rising
from tests.alerts.test_alert_engine import Driver

W, C, L = AlertLevel.WARNING, AlertLevel.CRITICAL, AlertLevel.LIQUIDATION_IMMINENT


def test_rising_ladder_enters_at_threshold_and_holds_within_band() -> None:
    ladder = rising([(W, 0.5), (C, 0.8), (L, 0.9)], band=0.05)
    assert ladder.level_for(0.49, None) is None
    assert ladder.level_for(0.5, None) is W
    assert ladder.level_for(0.46, W) is W
    assert ladder.level_for(0.449, W) is None
    assert ladder.level_for(0.95, None) is L
    assert ladder.level_for(0.86, L) is L
    assert ladder.level_for(0.84, L) is C  # out of L's band, inside C's
    assert ladder.level_for(0.74, L) is W
    assert ladder.level_for(0.3, L) is None


def test_falling_ladder_for_distances_clears_a_tenth_above() -> None:
    ladder = falling([(W, 10.0), (C, 5.0)])
    assert ladder.level_for(12.0, None) is None
    assert ladder.level_for(9.0, None) is W
    assert ladder.level_for(10.9, W) is W
    assert ladder.level_for(11.1, W) is None
    assert ladder.level_for(-1.0, None) is C  # past liquidation
    assert ladder.level_for(5.4, C) is C


def test_unset_thresholds_make_an_empty_ladder() -> None:
    assert falling([(W, None), (C, None)]).empty


@settings(max_examples=40, deadline=None)
# Risk of a 1x-wallet cross long lies above its MMR (0.005): lower values have no mark that produces them.
@given(st.lists(st.floats(min_value=0.006, max_value=1.2), min_size=1, max_size=30))
def test_any_series_sends_each_level_at_most_once_within_the_rearm_time(series: list[float]) -> None:
    d = Driver(options=EngineOptions(rearm_s=1e9))
    for value in series:
        d.risk(value)
    sent = [e for e in d.log if e.notify and e.kind is not EventKind.CLEARED]
    assert len(sent) <= 3
    levels = [e.alert.level for e in sent]
    assert levels == sorted(levels, key=lambda level: level.rank)  # only ever worse
    # "All clear" is sent at most once per alert that was announced as new.
    cleared = [e for e in d.log if e.notify and e.kind is EventKind.CLEARED]
    assert len(cleared) <= len([e for e in sent if e.kind is EventKind.RAISED])
