"""Hostile review of issue 10: the wall clock stepped back an hour (NTP correcting a drifted clock, a VM
restored, a user fixing the time zone wrongly) while a critical alert is waiting to be re-sent. Each xfail
test fails on the code it was written against and passes once its defect is fixed."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr

from liqwatch.alerts.model import EventKind
from liqwatch.alerts.service import AlertService
from liqwatch.config.alerts import AlertDelivery, AlertThresholds, Webhook
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.storage.async_db import AsyncDatabase
from tests.alerts.alert_scenarios import RISK_ONLY, Scenario


def _thresholds(resend_s: float) -> ThresholdMap:
    delivery = AlertDelivery(webhooks=(Webhook(name="ops", url=SecretStr("http://127.0.0.1:9/x")),),
                             resend_critical_s=resend_s)
    t: AlertThresholds = RISK_ONLY.model_copy(update={"delivery": delivery})
    return ThresholdMap(t)


async def test_critical_reminders_keep_their_period_when_the_wall_clock_steps_back(tmp_path: Path) -> None:
    """DEFECT: ``remind`` compares ``now - last_sent`` on the wall clock. Stepped back one hour, a critical
    alert nobody acknowledged (the trader is away: the very case reminders exist for) is not re-sent for an
    hour plus the period, whatever ``resend_critical_s`` says. Periods are durations: the monotonic clock's.
    EXPECTED: with resend_critical_s = 300, a reminder within 300 s (+ one tick) of monotonic time."""
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    sc = Scenario()
    svc = AlertService(db, _thresholds(300.0), clock=sc.clock)
    try:
        raised = await svc.update(sc.tick(risk=0.85))
        assert [e.kind for e in raised] == [EventKind.RAISED]
        await svc.update(sc.tick(risk=0.85, advance=60.0))
        sc.clock.jump_wall(-3600.0)
        kinds: list[EventKind] = []
        for _ in range(250):  # 250 s of monotonic time after the step: the first period ends at 300 s
            kinds += [e.kind for e in await svc.update(sc.tick(risk=0.85, advance=1.0))]
        assert EventKind.REMINDED in kinds, "no reminder 310 s after the raise"
    finally:
        await db.aclose()


async def test_a_snooze_ends_after_its_duration_when_the_wall_clock_steps_back(tmp_path: Path) -> None:
    """DEFECT: a snooze ends when the wall clock reaches ``snoozed_until``. Stepped back an hour during a
    5-minute snooze, a critical alert stays quiet for 65 minutes: the trader asked for five.
    EXPECTED: the snooze ends after 300 s of elapsed (monotonic) time, SNOOZE_ENDED is emitted."""
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    sc = Scenario()
    svc = AlertService(db, _thresholds(0.0), clock=sc.clock)
    try:
        raised = await svc.update(sc.tick(risk=0.85))
        assert await svc.snooze(raised[0].alert_id, 300.0)
        await svc.update(sc.tick(risk=0.85, advance=10.0))
        sc.clock.jump_wall(-3600.0)
        kinds: list[EventKind] = []
        for _ in range(30):
            kinds += [e.kind for e in await svc.update(sc.tick(risk=0.85, advance=10.0))]
        assert EventKind.SNOOZE_ENDED in kinds, "the snooze did not end 310 s after it was asked for"
    finally:
        await db.aclose()


def test_a_close_is_reported_after_its_grace_when_the_wall_clock_steps_back() -> None:
    """DEFECT: a reduction or close waits ``GRACE_S`` (8 s) for a liquidation fill, measured on the wall clock
    (``now - since``). A step back of an hour right after the close keeps it pending for an hour and 8 s.
    EXPECTED: reported within GRACE_S (+ a tick) of elapsed time."""
    from liqwatch.alert_levels import AlertRule
    from liqwatch.alerts.position_activity import GRACE_S
    from liqwatch.model import PositionUpdate, Side, Stamp
    from tests.alerts.alert_scenarios import SYMBOL
    from tests.alerts.test_alert_engine import Driver

    d = Driver()
    d.feed(d.sc.tick(59_000.0))
    now = d.sc.clock.now()
    d.sc.store.apply(PositionUpdate("main", (SYMBOL, Side.LONG), None, Stamp(now, now)))
    d.feed(d.sc.tick(59_000.0))
    d.sc.clock.jump_wall(-3600.0)
    for _ in range(int(GRACE_S) + 3):
        d.feed(d.sc.tick(59_000.0))
    moves = [e.message for e in d.log if e.alert.key.rule is AlertRule.POSITION_ACTIVITY]
    assert moves == [f"main: {SYMBOL} long closed (was 1)"], moves


async def test_a_forward_step_of_the_wall_clock_neither_ends_a_snooze_nor_fires_a_reminder(tmp_path: Path) -> None:
    """DEFECT: the same wall-clock arithmetic the other way: stepped forward an hour (a suspended laptop's clock
    corrected, a VM's clock catching up), a snooze the trader asked for 10 s ago ends at once and rings. (A
    reminder must not come either: guarded here too.)
    EXPECTED: neither within 60 s of monotonic time after a 300 s snooze / with resend_critical_s 300."""
    db = await AsyncDatabase.open(tmp_path / "db.sqlite3")
    sc = Scenario()
    svc = AlertService(db, _thresholds(300.0), clock=sc.clock)
    try:
        snoozed = await svc.update(sc.tick(risk=0.85))
        assert await svc.snooze(snoozed[0].alert_id, 300.0)
        await svc.update(sc.tick(risk=0.85, advance=10.0))
        sc.clock.jump_wall(3600.0)
        kinds: list[EventKind] = []
        for _ in range(6):
            kinds += [e.kind for e in await svc.update(sc.tick(risk=0.85, advance=10.0))]
        assert EventKind.SNOOZE_ENDED not in kinds and EventKind.REMINDED not in kinds, kinds
    finally:
        await db.aclose()
