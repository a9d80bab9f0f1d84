"""Review of issue 12, ``liqwatch serve``: a loopback address other than 127.0.0.1 (the whole 127.0.0.0/8 is
loopback, and the server treats it so: no token) must serve the URL it prints. In-process server on port 0."""

from __future__ import annotations

import asyncio
import shlex
import sys

import aiohttp
import pytest

from tests.feeds.harness import eventually
from tui.serve import LiqwatchServer

STAND_IN = shlex.join([sys.executable, "-c", "print('__GANGLION__')"])


async def test_the_printed_url_opens_on_another_loopback_address(capsys: pytest.CaptureFixture[str]) -> None:
    server = LiqwatchServer(STAND_IN, host="127.0.0.2", port=0, title="liqwatch test")
    stop = asyncio.Event()
    task = asyncio.create_task(server.run(stop))
    try:
        await eventually(lambda: server.port != 0, 10, "the server listening")  # set once it listens
        assert server.token is None  # loopback: no token, so the Host check is the lock
        async with aiohttp.ClientSession() as http, http.get(server.url()) as resp:
            assert resp.status == 200, await resp.text()
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)


async def test_behind_a_tls_proxy_the_page_does_not_use_a_plain_websocket(
        capsys: pytest.CaptureFixture[str]) -> None:
    server = LiqwatchServer(STAND_IN, host="0.0.0.0", port=0, title="liqwatch test")
    stop = asyncio.Event()
    task = asyncio.create_task(server.run(stop))
    try:
        await eventually(lambda: server.port != 0, 10, "the server listening")  # set once it listens
        # What a TLS-terminating proxy (nginx, caddy) forwards for https://desk.example/TOKEN/.
        headers = {"Host": "desk.example", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "desk.example"}
        async with aiohttp.ClientSession() as http, \
                http.get(f"http://127.0.0.1:{server.port}{server.prefix}/", headers=headers) as resp:
            assert resp.status == 200
            page = await resp.text()
        assert 'data-session-websocket-url="ws://' not in page, page[-400:]
    finally:
        stop.set()
        await asyncio.wait_for(task, 10)
