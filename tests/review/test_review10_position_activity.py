"""Hostile review of issue 10 (position activity): what a gap in the data hides. Pure evaluation over the real
store on a FakeClock. Fails on the code it was written against (xfail strict) and passes once fixed."""

from __future__ import annotations

from dataclasses import replace

from liqwatch.alert_levels import AlertRule
from liqwatch.model import PositionUpdate, Side, Stamp
from tests.alerts.test_alert_engine import Driver


def _moves(d: Driver) -> list[str]:
    return [e.message for e in d.log if e.alert.key.rule is AlertRule.POSITION_ACTIVITY]


def test_a_position_opened_during_a_gap_is_reported_when_the_data_is_back() -> None:
    """DEFECT: ``position_activity.step`` drops the account's baseline whenever it is not fully live, and its
    first live snapshot after the gap is a new baseline: whatever was opened meanwhile is never reported. The
    gap need not be in the positions' own data: here only the mark channel went stale for 30 s while the
    account stream kept delivering. Every 24 h renewal, every reconnect, every quiet market hides the key's
    misuse the feature is there to show ("the first sign of a key used by someone else"). An open cannot be a
    liquidation, so the reason given for the rule (a close while blind is the store's business) does not
    apply to it.
    EXPECTED: the positions seen before the gap are compared with the first live ones after it, at least
    for what a liquidation cannot explain (a new position, a larger one, a leverage or margin-mode change)."""
    d = Driver()
    d.feed(d.sc.tick(59_000.0))
    d.feed(d.sc.silence(30.0))  # the mark channel goes stale: the account is not live
    new = replace(d.sc.position, symbol="ETH/USDT:USDT", side=Side.SHORT, size=4.0, entry_price=3050.0)
    now = d.sc.clock.now()
    d.sc.store.apply(PositionUpdate("main", new.key, new, Stamp(now, now)))  # opened by someone, meanwhile
    for _ in range(3):
        d.feed(d.sc.tick(59_000.0))  # live again
    assert any("ETH/USDT:USDT short opened 4" in m for m in _moves(d)), _moves(d)
