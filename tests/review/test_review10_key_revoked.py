"""Review of issue 10, a key revoked while running, answered the way an exchange's edge often answers it: HTTP
401 with a body that is not JSON (an HTML or plain-text error page from the gateway in front of the API). Issue
10: "-2015 / HTTP 401 on every signed call ... disables the account with the exchange's message and raises an
alert". Over real sockets: the emulator behind a relay that turns every keyed call into that answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
from aiohttp import web

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.feeds.binance_client import READ_ONLY
from liqwatch.feeds.rest import AuthError, RestError, RestGate, ServerError, request_json
from liqwatch.monitor import Monitor
from tests.feeds.harness import FAST, eventually
from tests.feeds.ws_relay import Relay, RelayEnv
from tests.local_http import served


class RevokingRelay(Relay):
    """Once ``revoked``, every REST call carrying the API key is answered 401 with a plain-text body."""

    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.revoked = False
        self.refused_calls = 0
        self.json_body = False  # the control: Binance's own 401 -2015 JSON answer

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        keyed = "X-MBX-APIKEY" in request.headers and request.headers.get("Upgrade", "").lower() != "websocket"
        if self.revoked and keyed:
            self.refused_calls += 1
            if self.json_body:
                return web.json_response({"code": -2015, "msg": "Invalid API-key, IP, or permissions for action."},
                                         status=401)
            return web.Response(status=401, text="<html><body><h1>401 Unauthorized</h1></body></html>",
                                content_type="text/html")
        return await super()._handle(request)


@contextlib.asynccontextmanager
async def revocable(only: tuple[str, ...]) -> AsyncIterator[tuple[RelayEnv, RevokingRelay]]:
    async with asyncio.timeout(120), contextlib.AsyncExitStack() as stack:
        emu = EmulatorServer(demo_scenario(), seed=11, speed=1.0, autorun=True, publish_interval=0.1)
        await stack.enter_async_context(emu)
        relay = await stack.enter_async_context(RevokingRelay(emu.port))
        url = f"127.0.0.1:{relay.port}"
        accs = [a for a in scenario_accounts(emu.scenario, f"http://{url}", f"ws://{url}") if a.name in only]
        monitor: Any = await stack.enter_async_context(Monitor(accs, options=FAST))
        yield RelayEnv(emu, monitor, relay), relay


async def test_control_a_401_with_binances_json_disables_the_account() -> None:
    async with revocable(("binance-main",)) as (env, relay):
        assert await env.monitor.wait_live(15)
        relay.json_body = relay.revoked = True
        await eventually(lambda: env.monitor.store.snapshot().account("binance-main").disabled_reason is not None,
                         10, "the account disabled")


async def test_a_key_revoked_with_a_401_that_is_not_json_disables_the_account() -> None:
    async with revocable(("binance-main", "hl-whale")) as (env, relay):
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        relay.revoked = True
        # FAST reconciles every second: a signed call is soon refused with HTTP 401 (the first one is enough
        # to disable the account: the old code retried them for ever, never disabling it).
        await eventually(lambda: relay.refused_calls >= 1, 15, "a signed call refused with 401")
        await eventually(lambda: store.snapshot().account("binance-main").disabled_reason is not None, 10,
                         "the account disabled (the key was refused with HTTP 401)")
        reason = store.snapshot().account("binance-main").disabled_reason or ""
        assert "401" in reason


@contextlib.asynccontextmanager
async def answering_html(status: int) -> AsyncIterator[str]:
    async def answer(request: web.Request) -> web.Response:
        return web.Response(status=status, text=f"<html><body><h1>{status}</h1></body></html>",
                            content_type="text/html")

    app = web.Application()
    app.router.add_get("/fapi/v2/account", answer)
    async with served(app) as url:
        yield url + "/fapi/v2/account"


async def test_an_html_401_is_the_key_refused_an_html_403_a_firewall_block_retried() -> None:
    # Binance: "HTTP 403 return code is used when a WAF (Web Application Firewall) rule has been violated":
    # the page says nothing of the key, and disabling the account for it would outlast the block.
    for status, error in ((401, AuthError), (403, ServerError)):
        async with asyncio.timeout(20), answering_html(status) as url, aiohttp.ClientSession() as session:
            try:
                await request_json(session, "GET", url, guard=READ_ONLY, gate=RestGate(), timeout_s=5)
            except RestError as exc:
                assert type(exc) is error and f"HTTP {status}" in str(exc), (status, exc)
            else:
                raise AssertionError(f"HTTP {status} with an HTML body was taken for an answer")
