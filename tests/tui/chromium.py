"""A headless Chromium driven through its DevTools protocol (a websocket, with aiohttp): enough to open a page,
watch its network requests and read what it shows, with no selenium/playwright dependency.

Every host but 127.0.0.1 is unresolvable in this browser (``--host-resolver-rules``), and every wait is bounded.
The browser runs in a process group of its own, killed whole on exit (its renderer and GPU helpers with it).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import re
import shutil
import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "chrome")
ONLY_LOOPBACK = "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"


def find_chromium() -> str | None:
    return next((p for p in map(shutil.which, CANDIDATES) if p), None)


class Page:
    """One tab (or, without a session, the browser itself): commands in, events collected in order."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, session_id: str) -> None:
        self._ws = ws
        self.session_id = session_id
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1000)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}

    async def send(self, method: str, params: dict[str, Any] | None = None, timeout_s: float = 10.0
                   ) -> dict[str, Any]:
        msg_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[msg_id] = future
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if self.session_id:
            msg["sessionId"] = self.session_id
        await self._ws.send_json(msg)
        reply = await asyncio.wait_for(future, timeout_s)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return dict(reply.get("result", {}))

    def deliver(self, msg: dict[str, Any]) -> None:
        if "id" in msg and msg["id"] in self._pending:
            self._pending.pop(msg["id"]).set_result(msg)
        elif "method" in msg:
            self.events.append(msg)

    def urls(self) -> list[str]:
        """Every URL the page asked for: documents, scripts, fonts, images, and websockets."""
        found = [e["params"]["request"]["url"] for e in self.events if e["method"] == "Network.requestWillBeSent"]
        return found + [e["params"]["url"] for e in self.events if e["method"] == "Network.webSocketCreated"]

    async def evaluate(self, expression: str) -> Any:
        reply = await self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        return reply.get("result", {}).get("value")

    async def terminal_text(self) -> str | None:
        """The lines xterm.js holds (its buffer: the screen itself is drawn on a canvas), or None before the
        terminal exists. textual.js keeps its Terminal in a closure, so it is found once among the page's
        objects (DevTools' queryObjects) and kept in a global of the page."""
        text = await self.evaluate(READ_BUFFER)
        if text is not None:
            return str(text)
        proto = await self.send("Runtime.evaluate", {"expression": "Object.prototype"})
        objects = await self.send("Runtime.queryObjects", {"prototypeObjectId": proto["result"]["objectId"]})
        found = await self.send("Runtime.callFunctionOn", {
            "objectId": objects["objects"]["objectId"], "functionDeclaration": KEEP_TERMINAL, "returnByValue": True})
        with contextlib.suppress(Exception):
            await self.send("Runtime.releaseObject", {"objectId": objects["objects"]["objectId"]})
        return await self.evaluate(READ_BUFFER) if found.get("result", {}).get("value") else None

    async def screenshot(self) -> bytes:
        """The page as a PNG (Page.captureScreenshot)."""
        import base64

        shot = await self.send("Page.captureScreenshot", {"format": "png"})
        return base64.b64decode(shot["data"])


KEEP_TERMINAL = """function () {
  const t = this.find(o => { try { return typeof o.loadAddon === 'function' && !!o.buffer && !!o.buffer.active; }
                             catch (e) { return false; } });
  if (t) { window.__liqwatchTerminal = t; }
  return !!t;
}"""
READ_BUFFER = """(() => {
  const t = window.__liqwatchTerminal;
  if (!t) { return null; }
  const b = t.buffer.active, lines = [];
  for (let i = 0; i < t.rows; i++) {
    const l = b.getLine(b.viewportY + i);
    lines.push(l ? l.translateToString(true) : '');
  }
  return lines.join('\\n');
})()"""


class Browser:
    """The browser's own connection: tabs are opened here, each event handed to its tab."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, width: int, height: int) -> None:
        self._ws = ws
        self._root = Page(ws, "")  # the browser target itself: no session
        self._pages: dict[str, Page] = {}
        self._size = (width, height)

    def deliver(self, msg: dict[str, Any]) -> None:
        self._pages.get(msg.get("sessionId", ""), self._root).deliver(msg)

    async def new_page(self) -> Page:
        """A blank tab with network, page, runtime and log events on, at the browser's viewport."""
        target = await self._root.send("Target.createTarget", {"url": "about:blank"})
        attached = await self._root.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        page = Page(self._ws, attached["sessionId"])
        self._pages[page.session_id] = page
        for domain in ("Network.enable", "Page.enable", "Runtime.enable", "Log.enable"):
            await page.send(domain)
        width, height = self._size
        await page.send("Emulation.setDeviceMetricsOverride",
                        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})
        return page


@contextlib.asynccontextmanager
async def chromium(binary: str, profile: Path, *, width: int = 1280, height: int = 800,
                   start_timeout_s: float = 10.0) -> AsyncIterator[Browser]:
    """A headless Chromium, its DevTools connection open. Killed with its whole process group."""
    args = [binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-default-apps", "--mute-audio",
            f"--host-resolver-rules={ONLY_LOOPBACK}", f"--user-data-dir={profile}", f"--window-size={width},{height}",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "about:blank"]
    proc = _launch(args)
    try:
        ws_url = await asyncio.wait_for(asyncio.to_thread(_devtools_url, proc), start_timeout_s)
        async with aiohttp.ClientSession() as http, http.ws_connect(ws_url, max_msg_size=0) as ws:
            browser = Browser(ws, width, height)

            async def pump() -> None:
                async for message in ws:
                    if message.type != aiohttp.WSMsgType.TEXT:
                        break
                    browser.deliver(message.json())

            reader = asyncio.create_task(pump())
            try:
                yield browser
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await reader
    finally:
        kill_group(proc)


def _launch(args: list[str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)


def _devtools_url(proc: subprocess.Popen[bytes]) -> str:
    assert proc.stderr is not None
    seen = []
    for raw in proc.stderr:  # bounded by the caller's wait_for; the browser's exit ends the loop
        line = raw.decode("utf-8", "replace")
        seen.append(line)
        if m := re.search(r"DevTools listening on (ws://\S+)", line):
            return m.group(1)
    raise RuntimeError("chromium exited before its DevTools endpoint was up:\n" + "".join(seen[-20:]))


def kill_group(proc: subprocess.Popen[Any], grace_s: float = 5.0) -> None:
    """SIGKILL to the whole process group (a throwaway browser or server: nothing of it to save), then reaped:
    nothing of it outlives the test."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(grace_s)


async def _capture(url: str, out: Path, wait_s: float, width: int, height: int) -> None:
    import tempfile

    binary = find_chromium()
    if binary is None:
        raise SystemExit("no chromium on PATH")
    with tempfile.TemporaryDirectory() as profile:
        async with chromium(binary, Path(profile), width=width, height=height) as browser:
            page = await browser.new_page()
            await page.send("Page.navigate", {"url": url})
            await asyncio.sleep(wait_s)  # a picture, not a test: the demo's market given time to move
            png = await page.screenshot()
    await asyncio.to_thread(out.write_bytes, png)


if __name__ == "__main__":
    # The README's picture: python -m tests.tui.chromium URL OUT.png [SECONDS [WIDTH HEIGHT]]
    import sys

    a = sys.argv[1:]
    asyncio.run(_capture(a[0], Path(a[1]), float(a[2]) if len(a) > 2 else 20.0,
                         int(a[3]) if len(a) > 3 else 1100, int(a[4]) if len(a) > 4 else 660))
