"""Review of issue 14 (the generic ccxt adapter): ``ccxt_options`` abuse. ccxt.pro hands the instance's
``options["ws"]`` table to every socket client it makes, which sets each key on itself as an attribute
(``ccxt.async_support.base.ws.client.Client.__init__``): ``url`` moved every socket to another host (past the
``rest_url``/``ws_url`` rewrite, the login with the key and its signature included), ``proxy`` sent it through
any proxy, and ``verbose`` printed every frame, the login's key and signature among them, to stdout with
``print`` (past the log redaction). Only the socket tuning keys are accepted; anything else disables the account
with the reason."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from liqwatch.clock import SystemClock
from liqwatch.feeds.adapter import AccountUnusable
from liqwatch.feeds.ccxt_adapter import CcxtAdapter
from liqwatch.feeds.ccxt_instance import RefusedCcxtOption, create_exchange
from liqwatch.model import AccountSpec
from liqwatch.risk.base import ExchangeRisk
from liqwatch.store import MonitorStore
from tests.feeds.ccxt.support import account


@pytest.mark.parametrize("ws", [{"url": "ws://127.0.0.1:1/elsewhere"}, {"proxy": "http://127.0.0.1:1"},
                                {"verbose": True}, {"log": "x"}], ids=["url", "proxy", "verbose", "log"])
def test_socket_client_settings_outside_the_tuning_keys_are_refused(ws: dict[str, Any]) -> None:
    acc = account("okx", "http://127.0.0.1:1", "ws://127.0.0.1:1")
    with pytest.raises(RefusedCcxtOption) as got:
        create_exchange(acc, options={"defaultType": "swap", "ws": ws})
    assert next(iter(ws)) in str(got.value)


async def test_the_tuning_keys_pass_and_the_sockets_stay_on_the_rewritten_host() -> None:
    acc = account("okx", "http://127.0.0.1:1", "ws://127.0.0.1:1")
    ex = create_exchange(acc, options={"ws": {"compress": 0, "keepAlive": 1000, "maxPingPongMisses": 2}})
    try:
        raw = object.__getattribute__(ex, "_exchange")
        client = raw.client(raw.urls["api"]["ws"])
        assert client.url.startswith("ws://127.0.0.1:1/") and not client.verbose
    finally:
        await ex.close()


async def test_the_adapter_disables_an_account_with_such_an_option() -> None:
    clock = SystemClock()
    store = MonitorStore(clock)
    acc = replace(account("okx", "http://127.0.0.1:1", "ws://127.0.0.1:1"), ccxt_options={"ws": {"verbose": True}})
    store.add_account(AccountSpec(acc.name, acc.market_exchange), ExchangeRisk(), reported_only=True)
    async with aiohttp.ClientSession() as session:
        ad = CcxtAdapter(acc, store, session, clock)
        with pytest.raises(AccountUnusable, match="verbose"):
            await ad.bootstrap()
