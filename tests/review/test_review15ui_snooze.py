"""Review of the timer's skip (issue 15, branch ``ui``): a snooze's time left is shown rounded down
(``fmt.short_age``: ``zz3s``), so it changes just *after* each instant at its phase, not at it. A snapshot
painted exactly at that instant (the snooze set at a whole second, the snapshot built at one) was taken to
hold until the next instant a second later, and a snapshot of the same views 0.2 s on was left unpainted:
the alert read ``zz3s`` while 2.8 s were left, for up to a second. Found by the random steps of
test_review15ui_screen (seed 121)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.tui.pilot_helpers import app_for, attached, settle
from tests.tui.scripted import into_danger, scripted
from widgets.alert_rows import alert_entries
from widgets.panes import AlertsTable
from widgets.text_clock import next_change


async def test_a_snooze_shown_at_its_own_phase_counts_down_in_the_next_snapshot() -> None:
    script = scripted()
    async with app_for(script).run_test(size=(160, 50)) as pilot:
        screen = await attached(pilot)
        into_danger(script)
        await screen.pull(force=True)
        await settle(pilot)
        alert = script.alerts.alerts()[0]
        await script.alerts.snooze(alert.id, 3.0)  # until a whole second: the scripted clock is on one
        script.step(1.0)
        latest = await screen.pull(force=True)  # painted at a whole second: 2 s left, "zz2s"
        assert latest is not None
        await settle(pilot)
        # As an engine that reuses unchanged views publishes: the same views, 0.2 s on (1.8 s left).
        script.engine.latest = replace(latest, time=latest.time + timedelta(milliseconds=200))
        await screen.tick()
        await settle(pilot)
        table = screen.query_one(AlertsTable)
        want = {e.key: e.cells for e in alert_entries(screen.alert_list(), script.engine.latest.time)}
        assert table.cells(alert.id) == want[alert.id]


def test_a_phase_that_changes_just_after_its_instant_counts_at_now() -> None:
    now = scripted().clock.now()  # a whole second
    t = now.timestamp()
    assert next_change(now, (), after={0.0}) <= t  # a snooze at phase 0 reads one second less right after now
    assert abs(next_change(now, ()) - (t + 1.0)) < 1e-5  # the clock itself: the next whole second
