"""``liqwatch serve``: the same App in a browser tab, through textual-serve.

textual-serve runs one App process per websocket (per browser tab) and relays its screen to xterm.js in the page.
Its own server is not used as is, because for a monitor of real accounts it is too open:
- its page loads a web font from fonts.googleapis.com: ours takes the font from the package's own static files,
  and a Content-Security-Policy keeps the page to its own origin;
- it logs every request (a token in the URL would reach the log) and prints its command line: we log no request
  and print the URL once;
- any page the user visits could open ``ws://127.0.0.1:PORT/ws`` and read the positions: the websocket is refused
  unless its Origin is the page's own, and on a loopback address a Host that is not a loopback name is refused
  (DNS rebinding). Bound to another address, every path sits under a random token, printed once at start.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import html
import ipaddress
import logging
import secrets
import shlex
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import textual_serve
from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

log = logging.getLogger(__name__)

STATIC = Path(textual_serve.__file__).resolve().parent / "static"
PAGE = Path(__file__).resolve().parent / "serve_page.html"
STOP_GRACE_S = 5.0  # an App asked to quit that is still running after this is killed
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything, so it is treated as reachable from outside


def session_command(*, demo: bool, config: str | None) -> str:
    """What each browser tab runs: the App on the WebDriver (textual-serve sets TEXTUAL_DRIVER)."""
    argv = [sys.executable, "-m", "tui.serve_session"]
    if demo:
        argv.append("--demo")
    if config:
        argv += ["--config", config]
    # textual-serve runs it through a shell: ``exec`` makes the App the process it stops (or kills), not a shell.
    return "exec " + shlex.join(argv)


class Session(AppService):
    """One tab's App process, kept where the server can stop it on shutdown."""

    @property
    def process(self) -> asyncio.subprocess.Process | None:
        return self._process


class LiqwatchServer:
    def __init__(self, command: str, *, host: str, port: int, title: str) -> None:
        self.command = command
        self.host = host
        self.port = port
        self.title = title
        # Off the loopback the token is the only lock; on it, the Host and Origin checks are.
        self.token: str | None = None if is_loopback(host) else secrets.token_urlsafe(24)
        self.prefix = f"/{self.token}" if self.token else ""
        self.sessions: set[Session] = set()
        self.downloads = DownloadManager()
        self._page = PAGE.read_text(encoding="utf-8")

    # --- the web application ---------------------------------------------------------------------------------
    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[self._guard])
        p = self.prefix
        app.add_routes([
            web.get(f"{p}/", self.handle_index),
            web.get(f"{p}/ws", self.handle_websocket),
            web.static(f"{p}/static", STATIC),
        ])
        app.on_shutdown.append(self._stop_sessions)
        return app

    @web.middleware
    async def _guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if self.token is not None:
            first = request.path.split("/", 2)[1] if request.path.startswith("/") else ""
            if not hmac.compare_digest(first.encode(), self.token.encode()):
                raise web.HTTPForbidden(text="liqwatch serve: this URL needs the token printed at start\n")
        elif not is_loopback(_host_name(request.host)):
            # A loopback address literal (any of 127.0.0.0/8, [::1]) or localhost: a DNS-rebinding page has its
            # own name in Host, never one of these, and the URL printed for --host 127.0.0.2 names 127.0.0.2.
            raise web.HTTPForbidden(text="liqwatch serve: bound to a loopback address, open the URL printed at "
                                         "start\n")
        response = await handler(request)
        response.headers.setdefault("Referrer-Policy", "no-referrer")  # the token stays out of other sites' logs
        return response

    async def handle_index(self, request: web.Request) -> web.Response:
        static = f"{self.prefix}/static/"
        # The page makes its websocket's URL from its own location (serve_page.html): wss:// when the browser
        # opened it over https (behind a TLS proxy), ws:// otherwise, always to the host the browser sees. The
        # server cannot know that scheme (a proxy's X-Forwarded-Proto is not trusted: anyone can send one).
        page = (self._page.replace("{{static}}", html.escape(static))
                .replace("{{ws_path}}", html.escape(f"{self.prefix}/ws"))
                .replace("{{title}}", html.escape(self.title)))
        # Nothing from another origin: fonts, scripts and styles come from this server, the socket goes to it
        # ('self' covers ws:// and wss:// to the page's own host).
        csp = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
               "img-src 'self' data:; font-src 'self'; connect-src 'self'")
        return web.Response(text=page, content_type="text/html",
                            headers={"Content-Security-Policy": csp, "Cache-Control": "no-store"})

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        origin = request.headers.get("Origin")
        if origin is not None and not _same_origin(origin, request.host):
            # Another site's page in the user's browser: it must not read the screen nor type into the App.
            raise web.HTTPForbidden(text="liqwatch serve: websocket from another origin refused\n")
        websocket = web.WebSocketResponse(heartbeat=15)
        await websocket.prepare(request)
        width = _int(request.query.get("width"), 80)
        height = _int(request.query.get("height"), 24)
        async def close() -> None:  # the App has exited
            await websocket.close()

        session = Session(self.command, write_bytes=websocket.send_bytes, write_str=websocket.send_str,
                          close=close, download_manager=self.downloads)
        self.sessions.add(session)
        try:
            await session.start(width, height)
            await self._relay(websocket, session)
        finally:
            await self._stop(session)
            await websocket.close()
        return websocket

    async def _relay(self, websocket: web.WebSocketResponse, session: Session) -> None:
        """The browser's keys and size to the App (the envelope textual.js sends)."""
        async for message in websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                kind, data = message.json()
            except (ValueError, TypeError):
                continue  # not ours: ignored, the session goes on
            if kind == "stdin" and isinstance(data, str):
                await session.send_bytes(data.encode("utf-8"))
            elif kind == "resize" and isinstance(data, dict):
                await session.set_terminal_size(_int(data.get("width"), 80), _int(data.get("height"), 24))
            elif kind == "ping":
                await websocket.send_json(["pong", data])
            elif kind == "blur":
                await session.blur()
            elif kind == "focus":
                await session.focus()

    async def _stop(self, session: Session) -> None:
        """Ask the App to quit; kill it if it has not within the grace (a tab's App never outlives the server)."""
        if session not in self.sessions:
            return
        self.sessions.discard(session)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(session.stop(), STOP_GRACE_S)
        process = session.process
        if process is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(process.wait(), STOP_GRACE_S)

    async def _stop_sessions(self, _app: web.Application) -> None:
        await asyncio.gather(*(self._stop(s) for s in list(self.sessions)))

    # --- running -------------------------------------------------------------------------------------------------
    def url(self) -> str:
        host = self.host
        if host in ("0.0.0.0", "::", ""):
            host = "127.0.0.1"  # any interface: this machine's own address works, the loopback one here
        elif ":" in host and not host.startswith("["):
            host = f"[{host}]"
        return f"http://{host}:{self.port}{self.prefix}/"

    async def run(self, stop: asyncio.Event) -> None:
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False)  # no request is logged
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.host, self.port)
            await site.start()
            if runner.addresses:  # the port asked may be 0: the one bound is the one to print
                self.port = int(runner.addresses[0][1])
            where = "" if self.token is None else f" (listening on {self.host}; the token in it is required)"
            print(f"liqwatch serve: open {self.url()} in a browser{where}; Ctrl-C stops", flush=True)
            await stop.wait()
        finally:
            await runner.cleanup()


def _host_name(host: str) -> str:
    """The name or address in a Host header, without the port and the brackets of an IPv6 address."""
    try:
        return urlsplit(f"//{host}").hostname or ""
    except ValueError:  # a malformed header: matches nothing
        return ""


def _same_origin(origin: str, host: str) -> bool:
    """Is ``origin`` (a websocket's Origin header) this server's page, reached at ``host``? An http or https
    page (https behind a TLS proxy) whose host and port are the ones the request came to."""
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and parts.netloc == host


def _int(value: object, default: int) -> int:
    try:
        return max(1, min(1000, int(str(value))))
    except ValueError:
        return default
