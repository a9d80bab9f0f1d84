"""Who may reach ``liqwatch serve``: on a loopback address only loopback names and the page's own origin; bound
to any other address, only URLs carrying the token printed at start. The page asks nothing of another host and
no request (so no token) is logged. In-process servers on port 0; a tab's App is a trivial stand-in here (what
runs in a tab is tested in a real browser by test_serve_browser)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import shlex
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.feeds.harness import eventually
from tui import cli
from tui.serve import STATIC, LiqwatchServer

# Says it is a Textual app, then ends: enough for a websocket session to open and close.
STAND_IN = shlex.join([sys.executable, "-c", "print('__GANGLION__')"])


@contextlib.asynccontextmanager
async def serving(host: str, capsys: pytest.CaptureFixture[str]) -> AsyncIterator[tuple[LiqwatchServer, str]]:
    server = LiqwatchServer(STAND_IN, host=host, port=0, title="liqwatch test")
    stop = asyncio.Event()
    task = asyncio.create_task(server.run(stop))
    printed: list[str] = []

    def started() -> bool:
        printed.append(capsys.readouterr().out)
        return "liqwatch serve: open" in "".join(printed)

    try:
        await eventually(started, 10, "the server's URL")
        yield server, "".join(printed)
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def status(url: str, **headers: str) -> int:
    async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as resp:
        return resp.status


async def ws_status(url: str, **headers: str) -> int:
    """101 once upgraded (the session may end at once), else the refusal's status."""
    async with aiohttp.ClientSession() as http:
        try:
            async with http.ws_connect(url, headers=headers, timeout=aiohttp.ClientWSTimeout(ws_close=5)):
                return 101
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status


async def test_off_loopback_every_path_needs_the_token_printed_once(capsys: pytest.CaptureFixture[str]) -> None:
    # Bound to every interface, reached here through the loopback one only.
    async with serving("0.0.0.0", capsys) as (server, printed):
        assert server.token is not None and len(server.token) >= 32
        assert printed.count(server.token) == 1, printed
        url = re.search(r"http://\S+", printed).group(0)  # type: ignore[union-attr]
        assert url == f"http://127.0.0.1:{server.port}/{server.token}/"
        base = f"127.0.0.1:{server.port}"
        for path in ("/", "/ws", "/static/js/textual.js", f"/{server.token[:-1]}/", f"/x{server.token}/"):
            assert await status(f"http://{base}{path}") == 403, path
        assert await ws_status(f"ws://{base}/ws") == 403
        assert await ws_status(f"ws://{base}/{server.token[::-1]}/ws") == 403
        # With it: the page, its files and its websocket; any Host (the machine's LAN name, say) will do.
        assert await status(url, Host=f"desk-pc.lan:{server.port}") == 200
        assert await status(f"{url}static/js/textual.js") == 200
        async with aiohttp.ClientSession() as http, http.get(url) as resp:
            # The page makes the socket's URL from its own location (ws:// or wss://), under the token.
            assert f'data-session-websocket-path="/{server.token}/ws"' in await resp.text()
        assert await ws_status(f"ws://{base}/{server.token}/ws") == 101


async def test_on_loopback_no_token_but_only_loopback_names_and_its_own_origin(
        capsys: pytest.CaptureFixture[str]) -> None:
    async with serving("127.0.0.1", capsys) as (server, printed):
        assert server.token is None
        base = f"127.0.0.1:{server.port}"
        assert f"http://{base}/ " in printed
        assert await status(f"http://{base}/") == 200
        assert await status(f"http://{base}/", Host=f"localhost:{server.port}") == 200
        # DNS rebinding: another site's name pointed at 127.0.0.1 reaches the port, not the page.
        assert await status(f"http://{base}/", Host=f"evil.example:{server.port}") == 403
        # Another site's page opening the websocket (browsers always send their Origin) is refused.
        assert await ws_status(f"ws://{base}/ws", Origin="http://evil.example") == 403
        assert await ws_status(f"ws://{base}/ws", Origin=f"http://localhost:{server.port}") == 403
        assert await ws_status(f"ws://{base}/ws", Origin=f"file://{base}") == 403  # the scheme counts too
        assert await ws_status(f"ws://{base}/ws", Origin=f"http://{base}") == 101
        await eventually(lambda: not server.sessions, 10, "the session to end")


async def test_the_page_needs_nothing_from_another_host(capsys: pytest.CaptureFixture[str]) -> None:
    async with serving("127.0.0.1", capsys) as (server, _), aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{server.port}"
        async with http.get(f"{base}/") as resp:
            page = await resp.text()
            csp = resp.headers["Content-Security-Policy"]
        # No URL names a host: the websocket's is made in the browser from the page's own location.
        assert re.findall(r"\w+://\w[^\"' )]*", page) == []
        assert 'data-session-websocket-path="/ws"' in page
        assert "default-src 'self'" in csp and "font-src 'self'" in csp and "connect-src 'self'" in csp
        # The font textual.js names, from the package's own files.
        fonts = re.findall(r'url\("(/static/[^"]+)"\)', page)
        assert any("RobotoMono" in f for f in fonts), page
        for path in [*fonts, *re.findall(r'(?:src|href)="(/static/[^"]+)"', page)]:
            async with http.get(f"{base}{path}") as resp:
                assert resp.status == 200, path
    # textual-serve's own page loads its font from Google: the reason for ours.
    assert "fonts.googleapis.com" in (STATIC.parent / "templates" / "app_index.html").read_text(encoding="utf-8")


async def test_no_request_is_logged(capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    async with serving("0.0.0.0", capsys) as (server, _):
        assert server.token is not None
        await status(f"http://127.0.0.1:{server.port}/{server.token}/")
        await status(f"http://127.0.0.1:{server.port}/")
    assert server.token not in caplog.text


def test_serve_without_accounts_says_how_to_start(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "empty.toml"
    empty.write_text("", encoding="utf-8")
    assert cli.main(["serve", "--config", str(empty)]) == 2
    err = capsys.readouterr().err
    assert "no accounts configured" in err and "--demo" in err


def test_serve_demo_checks_a_named_config_at_start(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[alerts\n", encoding="utf-8")
    assert cli.main(["serve", "--demo", "--config", str(broken)]) == 2
    assert "broken.toml" in capsys.readouterr().err


def test_serve_refuses_a_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["serve", "--demo", "--port", "70000"]) == 2
    assert "--port 70000" in capsys.readouterr().err
