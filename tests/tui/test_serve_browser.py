"""``liqwatch serve --demo`` in a real headless Chromium (Debian's package), driven through its DevTools protocol,
every host but 127.0.0.1 unresolvable: two tabs each show live positions from an App of their own (its own demo
emulator), and the page asked nothing of any other host.

Skipped where Chromium is not installed, unless CI=true (``.ci/run`` installs it): there a missing browser fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from liqwatch.stop_signal import EXIT_TERMINATED
from tests.tui.chromium import Page, chromium, find_chromium, kill_group

ROOT = Path(__file__).resolve().parents[2]
BROWSER = find_chromium()
LIVE_WITHIN_S = 30.0  # a bound for a loaded CI machine (16 workers on 2 cores), not a speed figure
# A positions row: symbol, side, status, then the distance to liquidation as a figure.
POSITION_ROW = re.compile(r"\b[A-Z]+/US(?:DT|DC):US(?:DT|DC)\s+(?:long|short)\s+\S+\s+\d+(?:\.\d+)?%")
# The header's feeds line names each account's state ("binance-main LIVE · ...") while the accounts fit in the
# width; the demo's eight do not fit the page's terminal, so it summarises ("all 8 live", "7 live · 1 not live").
FEEDS_LIVE = re.compile(r"\bLIVE\b|\b[1-9]\d* live\b")

pytestmark = pytest.mark.slow(12)


def _require_browser() -> str:
    if BROWSER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required on CI (.ci/run installs Debian's chromium package)")
        pytest.skip("Chromium not installed (Debian: apt-get install chromium)")
    return BROWSER


def _serve(tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen([sys.executable, "-m", "tui", "serve", "--demo", "--port", "0"], cwd=tmp_path,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()  # bounded by the caller's wait_for; the server's exit ends it
    found = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert found, f"no URL in the server's first line: {line!r}"
    return proc, found.group(0)


async def _live(page: Page, deadline: float) -> str:
    text = ""
    while time.monotonic() < deadline:
        text = await page.terminal_text() or ""
        feeds = next((ln for ln in text.splitlines() if ln.lstrip().startswith("feeds")), "")
        if FEEDS_LIVE.search(feeds) and POSITION_ROW.search(text):
            return text
        await asyncio.sleep(0.2)
    raise AssertionError(f"no live positions in the page within {LIVE_WITHIN_S:g} s; it showed:\n{text}")


async def test_serve_demo_shows_live_positions_in_chromium_from_loopback_only(tmp_path: Path) -> None:
    browser = _require_browser()
    started = time.monotonic()
    served, browsed = asyncio.create_task(asyncio.wait_for(asyncio.to_thread(_serve, tmp_path), 20)), None
    try:
        async with chromium(browser, tmp_path / "profile") as chrome:
            page, other = await chrome.new_page(), await chrome.new_page()
            browsed = time.monotonic()
            server, url = await served
            opened = time.monotonic()
            await page.send("Page.navigate", {"url": url})
            await _live(page, opened + LIVE_WITHIN_S)
            live = time.monotonic()
            # A second tab: an App process of its own, so a demo of its own (emulator, monitor, record).
            # (Not waited for live: its start would cost the suite another App's start; the first tab showed it.)
            await other.send("Page.navigate", {"url": url})
            await _until(lambda: len(_apps(server.pid)) == 2, "a second App for the second tab")
            for tab in (page, other):
                # DevTools reports the page's websocket on its own schedule: under load the App it started can
                # be running before the event reaches us (CI: the second tab's URLs had no ws:// yet).
                await _until(lambda t=tab: any(u.startswith("ws://127.0.0.1:") for u in t.urls()),
                             "the tab's websocket to 127.0.0.1 in DevTools' events")
                urls = tab.urls()
                foreign = [u for u in urls if urlsplit(u).scheme not in ("data", "blob")
                           and urlsplit(u).hostname != "127.0.0.1"]
                assert foreign == [], foreign
                refused = [e["params"]["entry"]["text"] for e in tab.events if e["method"] == "Log.entryAdded"
                           and e["params"]["entry"]["level"] == "error"]
                assert refused == [], refused  # no resource refused (CSP, 404) nor script error
            # A tab closed: its App stops, the other's goes on.
            await other.send("Page.close")
            await _until(lambda: len(_apps(server.pid)) == 1, "the closed tab's App to stop")
            closed = time.monotonic()
        # A clean stop: SIGTERM to the server alone ends every tab's App with it.
        server.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(asyncio.to_thread(server.wait), 10) == EXIT_TERMINATED  # as `check`
        await _until(lambda: not _group_alive(server.pid), "every App to stop with the server")
        print(f"browser up {browsed - started:.1f} s, server {opened - started:.1f} s, live positions "
              f"{live - opened:.1f} s after opening the page, second tab opened and closed {closed - live:.1f} s, "
              f"server stopped {time.monotonic() - closed:.1f} s")
    finally:
        if not served.done():
            served.cancel()
        with contextlib.suppress(BaseException):
            kill_group((await served)[0])


async def _until(predicate: Callable[[], bool], what: str, limit_s: float = 10.0) -> None:
    deadline = time.monotonic() + limit_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out after {limit_s:g} s waiting for {what}"
        await asyncio.sleep(0.1)


def _apps(pgid: int) -> list[int]:
    """The tabs' App processes: in the server's process group, running the session module."""
    found = []
    for entry in Path("/proc").iterdir():
        with contextlib.suppress(OSError, ValueError):
            if entry.name.isdigit() and os.getpgid(int(entry.name)) == pgid:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                if argv[:1] == [sys.executable.encode()] and b"tui.serve_session" in argv:
                    found.append(int(entry.name))
    return found


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
