"""Hostile review of issue 10: the App at 80x24 with a record it cannot open, as a confused new user meets it.
Fails on the code it was written against (xfail strict) and passes once its defect is fixed."""

from __future__ import annotations

import asyncio
import html
import re
from pathlib import Path

from liqwatch.config import Settings
from liqwatch.config.settings import StorageSettings
from tui.app import make_app
from tui.launch import demo_backend
from widgets.header_view import RiskHeader
from widgets.panes import PositionsTable


def _screen_text(svg: str) -> str:
    """Every character on the screen, whitespace removed (so a phrase wrapped over two lines still reads)."""
    text = html.unescape(re.sub(r"<[^>]+>", "", svg))
    return re.sub(r"\s+", "", text)


async def test_the_reason_the_app_is_not_recording_can_be_found_in_the_app(tmp_path: Path) -> None:
    """DEFECT: with the database unopenable (here: a file where its directory should be), the header shows
    NOT RECORDING and nothing else about it: the reason ``record_status`` carries ("unavailable: cannot open
    the database ...: File exists") goes to the log only, which the full-screen App hides. A new user sees a
    red marker, looks at the main screen, the help screen (?) and the alert history (h), and cannot find
    why, where the file is or that alerts are kept and written later.
    EXPECTED: the reason is shown somewhere in the app (the header line when it fits, the help screen, the
    alert history, or the detail pane), e.g. "File exists" / "cannot open the database"."""
    (tmp_path / "demo").write_text("a file where the demo's database directory should be")
    settings = Settings(storage=StorageSettings(path=tmp_path / "liqwatch.sqlite3"))
    app = make_app(settings.ui, connect=lambda: demo_backend(settings, speed=1.0))
    seen: list[str] = []
    async with app.run_test(size=(80, 24)) as pilot:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 45
        header = app.monitor.query_one(RiskHeader)
        positions = app.monitor.query_one(PositionsTable)
        while len(positions.row_keys) < 5:
            assert loop.time() < deadline, "the demo did not run without its record"
            await pilot.pause(0.1)
        assert "NOT RECORDING" in header.plain
        seen.append(_screen_text(app.export_screenshot()))
        for key in ("h", "escape", "question_mark"):
            await pilot.press(key)
            await pilot.pause(0.3)
            seen.append(_screen_text(app.export_screenshot()))
    everything = "".join(seen)
    assert "NOTRECORDING" in everything  # the screenshots do carry the screen's text
    assert len(set(seen)) >= 3, "the alert history and help screens did not open"
    assert "Fileexists" in everything or "cannotopen" in everything, "the reason is nowhere in the app"
