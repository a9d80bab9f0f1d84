"""Review of issue 10, secrets: an exchange can echo what it was sent in its error answers. The API key is
registered as a secret when the config is loaded (liqwatch.feeds.from_config), and every message of a REST
error is promised to be redacted (``RestError``); nothing the exchange answers may bring the key back onto
the screen, into ``check --json`` or into an alert. Over real sockets: the emulator behind a relay that
answers ``apiRestrictions`` with an error naming the key."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web

from liqwatch import redact
from liqwatch.commands.snapshot_output import snapshot_json
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.feed_channel import ChannelState
from liqwatch.monitor import Monitor
from tests.feeds.harness import FAST, eventually
from tests.feeds.ws_relay import Relay

PATH = "/sapi/v1/account/apiRestrictions"


class AnsweringRelay(Relay):
    """``answer(path) -> (status, JSON body) | None``: REST answers made up by the test (None: relayed)."""

    def __init__(self, target_port: int) -> None:
        super().__init__(target_port)
        self.answer: Callable[[str], tuple[int, Any] | None] = lambda path: None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Upgrade", "").lower() != "websocket":
            made = self.answer(request.path)
            if made is not None:
                return web.json_response(made[1], status=made[0])
        return await super()._handle(request)


@contextlib.asynccontextmanager
async def with_key_registered(only: tuple[str, ...], answer: Callable[[str, str], tuple[int, Any] | None]
                              ) -> AsyncIterator[tuple[Monitor, str]]:
    async with asyncio.timeout(90), contextlib.AsyncExitStack() as stack:
        emu = await stack.enter_async_context(EmulatorServer(demo_scenario(), seed=11, autorun=True,
                                                             publish_interval=0.1))
        relay = await stack.enter_async_context(AnsweringRelay(emu.port))
        url = f"127.0.0.1:{relay.port}"
        accs = [a for a in scenario_accounts(emu.scenario, f"http://{url}", f"ws://{url}") if a.name in only]
        key = accs[0].api_key.get()
        redact.register_secret(key)  # as liqwatch.feeds.from_config does for a key read from the config
        stack.callback(redact._secrets.discard, key)  # the demo's key is no secret to the other tests
        relay.answer = lambda path: answer(path, key)
        monitor = await stack.enter_async_context(Monitor(accs, options=FAST))
        yield monitor, key


async def test_an_api_key_echoed_in_an_error_answer_never_reaches_check_json() -> None:
    def answer(path: str, key: str) -> tuple[int, Any] | None:
        # A gateway that names the key it refuses, in both fields of Binance's error shape.
        return (400, {"code": f"unknown key {key}", "msg": f"API-key {key} has no wallet access"}) \
            if path == PATH else None

    async with with_key_registered(("binance-main",), answer) as (monitor, key):
        store = monitor.store
        await eventually(lambda: all(c.state is ChannelState.LIVE for c in store.channels("binance-main"))
                         or store.snapshot().account("binance-main").disabled_reason is not None,
                         20, "binance-main watched or refused")
        snap = store.snapshot()
        shown = json.dumps(snapshot_json(snap)) + "\n".join(str(i) for i in snap.incidents)
        assert "could not be read" in shown  # the answer did reach the verdict
        assert key not in shown, "the API key, echoed by the exchange, is in check --json / the incidents"
