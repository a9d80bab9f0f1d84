"""Alerts behind (their evaluation slow or stuck, liqwatch.monitor_engine): the header says so at 80 columns,
and ``check``'s JSON and text report carry it."""

from __future__ import annotations

from dataclasses import replace

from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
from tests.tui.scripted import scripted
from widgets.header_lines import header_lines


def test_alerts_behind_head_the_header_and_check_reports_them() -> None:
    snap = scripted().store.snapshot()
    ok = "".join(t for t, _ in header_lines(snap, [], 80)[0])
    assert "ALERTS BEHIND" not in ok and snapshot_json(snap)["alerts_behind_s"] is None
    assert "alerts behind" not in snapshot_text(snap)
    late = replace(snap, alerts_behind_s=12.3)
    top = header_lines(late, [], 80)[0]
    text = "".join(t for t, _ in top)
    assert text.startswith(" liqwatch ALERTS BEHIND 12s") and len(text) <= 80, text
    assert ("ALERTS BEHIND 12s ", "critical") in top
    assert snapshot_json(late)["alerts_behind_s"] == 12.3
    assert "alerts behind: they judged the state of 12 s ago" in snapshot_text(late)
