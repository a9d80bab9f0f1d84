"""The App says when its alerts are not being recorded: NOT RECORDING heads the header, at 80 columns too,
while the database cannot be opened, and the demo runs on regardless."""

from __future__ import annotations

import asyncio
from pathlib import Path

from liqwatch.config import Settings
from liqwatch.config.settings import StorageSettings
from tui.app import make_app
from tui.launch import demo_backend
from widgets.header_lines import header_lines
from widgets.header_view import RiskHeader
from widgets.panes import PositionsTable


async def test_the_demo_app_marks_a_record_it_cannot_open(tmp_path: Path) -> None:
    (tmp_path / "demo").write_text("a file where the demo's database directory should be")
    settings = Settings(storage=StorageSettings(path=tmp_path / "liqwatch.sqlite3"))
    app = make_app(settings.ui, connect=lambda: demo_backend(settings, speed=1.0))
    async with app.run_test(size=(80, 24)) as pilot:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 45
        header = app.monitor.query_one(RiskHeader)
        positions = app.monitor.query_one(PositionsTable)
        while len(positions.row_keys) < 5:
            assert loop.time() < deadline, "the demo did not run without its record"
            await pilot.pause(0.1)
        assert header.plain.startswith(" liqwatch NOT RECORDING"), header.plain
    assert (tmp_path / "demo").read_text().startswith("a file")  # left as it was


def test_a_healthy_record_adds_nothing_to_the_header() -> None:
    from tests.tui.scripted import scripted

    snap = scripted().store.snapshot()
    ok = "".join(t for t, _ in header_lines(snap, [], 80)[0])
    off = "".join(t for t, _ in header_lines(snap, [], 80, record="unavailable: disk full")[0])
    assert "NOT RECORDING" not in ok and off.startswith(" liqwatch NOT RECORDING")
    assert len(off) <= 80
