"""A wrapped ccxt instance against the emulator (stock ccxt's own classes, one per protocol the emulator speaks):
its reads go through, and no write is sent. The wrapper refuses a write method by name; the raw instance inside it
refuses the same writes at its ``fetch`` (the second lock), so neither the emulator nor a catch-all server sees
a request. The control: an unguarded stock instance does send them to the catch-all server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from liqwatch.emulator import EmulatorServer, Scenario
from liqwatch.feeds import ccxt_instance
from liqwatch.feeds.ccxt_allowlist import EXACT_REQUESTS
from liqwatch.feeds.ccxt_guard import ForbiddenMethod, ReadOnlyExchange, RedirectRefused, RequestGuard
from liqwatch.feeds.rest import ForbiddenEndpoint
from tests.emulator.bybit_helpers import bybit_scenario
from tests.emulator.helpers import LIMIT_S, small_scenario
from tests.emulator.okx_helpers import okx_scenario

from .support import OPTIONS, account, recorder

IDS = ("binanceusdm", "bybit", "okx", "hyperliquid")
SCENARIOS = {"binanceusdm": small_scenario, "hyperliquid": small_scenario, "bybit": bybit_scenario,
             "okx": okx_scenario}
SYMBOL = {"binanceusdm": "BTC/USDT:USDT", "bybit": "BTC/USDT:USDT", "okx": "BTC/USDT:USDT",
          "hyperliquid": "BTC/USDC:USDC"}
#: An order placed through each exchange's implicit API: the path ccxt's create_order uses.
IMPLICIT_WRITE = {"binanceusdm": "fapiPrivatePostOrder", "bybit": "privatePostV5OrderCreate",
                  "okx": "privatePostTradeOrder", "hyperliquid": "privatePostExchange"}
#: Where the emulator's sockets live (the watch calls' upgrades, not REST).
WS_PATHS = {"/market/ws/0", "/market/ws/1", "/private/ws", "/ws", "/v5/public/linear", "/v5/private",
            "/ws/v5/public", "/ws/v5/private"}


def _writes(sym: str) -> list[tuple[str, tuple[Any, ...]]]:
    return [("create_order", (sym, "limit", "buy", 0.01, 50000.0)), ("cancel_order", ("123", sym)),
            ("edit_order", ("123", sym, "limit", "buy", 0.01, 50001.0)), ("set_leverage", (5, sym)),
            ("set_margin_mode", ("isolated", sym)), ("transfer", ("USDT", 1.0, "future", "spot")),
            ("withdraw", ("USDT", 1.0, "0x" + "c" * 40))]


@pytest.fixture(params=IDS)
async def emu_id(request: pytest.FixtureRequest) -> AsyncIterator[tuple[EmulatorServer, str]]:
    scenario: Scenario = SCENARIOS[request.param]()
    server = EmulatorServer(scenario, seed=7, autorun=True, publish_interval=0.2, hl_idle_timeout=None,
                            okx_idle_timeout=None)
    await asyncio.wait_for(server.start(), 10)
    try:
        yield server, request.param
    finally:
        await asyncio.wait_for(server.stop(), 10)


def wrapped_ccxt(emu: EmulatorServer, ccxt_id: str) -> ReadOnlyExchange:
    """(Its name says ccxt: tests/conftest.py groups the tests that call a ccxt-named function on one worker.)"""
    return ccxt_instance.create_exchange(account(ccxt_id, emu.rest_url, emu.ws_url), options=OPTIONS[ccxt_id],
                                         enable_rate_limit=False)


async def test_reads_go_through_and_stay_on_the_allowlist(emu_id: tuple[EmulatorServer, str]) -> None:
    emu, ccxt_id = emu_id
    sym = SYMBOL[ccxt_id]
    async with asyncio.timeout(LIMIT_S):
        ex = wrapped_ccxt(emu, ccxt_id)
        try:
            markets = await ex.load_markets()
            assert sym in markets
            assert (await ex.fetch_time()) > 0
            positions = await ex.fetch_positions()
            assert positions and all(p["contracts"] for p in positions)
            assert (await ex.fetch_balance())["info"] is not None
            if ex.has.get("fetchMarkPrice"):
                assert (await ex.fetch_mark_price(sym))["markPrice"] > 0
            else:
                assert (await ex.fetch_tickers())[sym]["info"]
            if ex.has.get("fetchFundingRate") and ccxt_id != "hyperliquid":
                assert (await ex.fetch_funding_rate(sym))["fundingRate"] is not None
            else:
                assert sym in await ex.fetch_funding_rates()
            watched = await asyncio.wait_for(ex.watch_positions(), 10)
            assert watched and watched[0]["symbol"] in markets
            # The market and balance streams: their subscriptions (and logins) pass the socket lock.
            if ex.has.get("watchMarkPrice"):
                assert (await asyncio.wait_for(ex.watch_mark_price(sym), 10))["symbol"] == sym
            else:
                assert (await asyncio.wait_for(ex.watch_ticker(sym), 10))["symbol"] == sym
            if ccxt_id in ("okx", "hyperliquid"):  # the other two push a balance only when it changes
                assert (await asyncio.wait_for(ex.watch_balance(), 10))["info"] is not None
            assert ex.positions is not None  # a cache the adapter reads, let through as a plain attribute
        finally:
            await ex.close()
    rest = {(m, p) for m, p, _ in emu.requests if p not in WS_PATHS}
    assert rest and rest <= EXACT_REQUESTS[ccxt_id]
    assert all(status == 200 for _, path, status in emu.requests if path not in WS_PATHS)


async def test_reads_with_ccxts_default_options_stay_on_the_allowlist(emu_id: tuple[EmulatorServer, str]) -> None:
    """Without the emulator tests' options (Binance's load_markets then also asks the wallet's coins and margin
    pairs, unserved here: ccxt carries on without them): nothing refused."""
    emu, ccxt_id = emu_id
    async with asyncio.timeout(LIMIT_S):
        ex = ccxt_instance.create_exchange(account(ccxt_id, emu.rest_url, emu.ws_url), enable_rate_limit=False)
        try:
            assert SYMBOL[ccxt_id] in await ex.load_markets()
            assert await ex.fetch_positions()
            await ex.fetch_balance()
        finally:
            await ex.close()


async def test_writes_are_refused_before_any_request(emu_id: tuple[EmulatorServer, str]) -> None:
    emu, ccxt_id = emu_id
    sym = SYMBOL[ccxt_id]
    async with asyncio.timeout(LIMIT_S):
        ex = wrapped_ccxt(emu, ccxt_id)
        raw = ex._exchange
        try:
            await ex.load_markets()  # so that the raw create_order gets as far as building its request
            before = list(emu.requests)
            for name, args in [*_writes(sym), (IMPLICIT_WRITE[ccxt_id], ({},))]:
                with pytest.raises(ForbiddenMethod, match=name):
                    await getattr(ex, name)(*args)
            assert list(emu.requests) == before  # the wrapper: nothing at all was sent
            assert not hasattr(ex, "create_order") and getattr(ex, "withdraw", None) is None
            assert hasattr(ex, "fetch_positions") and hasattr(ex, "markets")
            # The raw instance's own methods: refused by its guarded fetch, before any write is sent.
            with pytest.raises(ForbiddenEndpoint, match="refused before sending"):
                await getattr(raw, IMPLICIT_WRITE[ccxt_id])({})
            for name, args in _writes(sym):
                # ccxt may stop first (a method the id lacks, a missing credential): either way, nothing sent.
                with pytest.raises(Exception) as refused:
                    await getattr(raw, name)(*args)
                assert not isinstance(refused.value, AssertionError)
            if ccxt_id != "hyperliquid":  # its create_order needs a private key first (none is configured)
                with pytest.raises(ForbiddenEndpoint, match="refused before sending"):
                    await raw.create_order(*_writes(sym)[0][1])
        finally:
            await ex.close()
    # What did go out is reads ccxt makes on its way (Bybit asks whether the account is unified).
    assert {(m, p) for m, p, _ in list(emu.requests)[len(before):]} <= EXACT_REQUESTS[ccxt_id]


@pytest.mark.parametrize("ccxt_id", [*IDS, "krakenfutures", "bitget", "deribit"])
async def test_a_write_reaches_no_server_but_an_unguarded_one_would(ccxt_id: str) -> None:
    """The catch-all server records every request, routed or not: the guarded instance sends it nothing; stock
    ccxt, pointed at the same server, sends the same call (the check is not blind). Deribit places an order with
    a GET."""
    implicit = {**IMPLICIT_WRITE, "krakenfutures": "privatePostSendorder",
                "bitget": "privateMixPostV2MixOrderPlaceOrder", "deribit": "privateGetBuy"}[ccxt_id]
    creds = ("K" * 32, "c2VjcmV0" * 8, "pass-phrase-9", "0x" + "d" * 40)
    async with asyncio.timeout(LIMIT_S), recorder() as (base, seen):
        ex = ccxt_instance.create_exchange(account(ccxt_id, base, creds=creds), enable_rate_limit=False)
        try:
            with pytest.raises(ForbiddenMethod):
                await getattr(ex, implicit)({})
            with pytest.raises(ForbiddenEndpoint):
                await getattr(ex._exchange, implicit)({})
        finally:
            await ex.close()
        assert seen == []
        stock = ccxt_instance.exchange_class(ccxt_id)({"apiKey": creds[0], "secret": creds[1],
                                                         "password": creds[2], "walletAddress": creds[3],
                                                         "privateKey": "0x" + "1" * 64})
        stock.urls["api"] = ccxt_instance.rewrite_urls(stock.urls["api"], base, "")
        try:
            await getattr(stock, implicit)({})
        except Exception:  # the answer ({}) may not parse: what matters is that the request went out
            pass
        finally:
            await stock.close()
        assert [m for m, _ in seen] == ["GET" if ccxt_id == "deribit" else "POST"]


def test_no_write_of_deribits_api_passes_the_default_policy() -> None:
    """Deribit's whole private API (ccxt's table of it) is GETs: every endpoint whose name is not a read's
    (``get_``, ``list_``, ``simulate_``; a REST ``subscribe``) is refused."""
    guard = RequestGuard("deribit")
    names = ccxt_instance.exchange_class("deribit")().api["private"]["get"]
    reads = ("get_", "list_", "simulate_", "subscribe", "unsubscribe")
    passed = []
    for name in names:
        try:
            guard.check("GET", f"https://host.test/api/v2/private/{name}")
        except ForbiddenEndpoint:
            continue
        passed.append(name)
    assert passed and all(n.startswith(reads) for n in passed), passed
    assert {"get_positions", "get_account_summary"} <= set(passed)
    assert not {"buy", "sell", "edit", "cancel", "close_position", "withdraw", "mass_quote", "move_positions"} & set(
        passed)


@pytest.mark.parametrize("ccxt_id", ["bybit", "okx", "hyperliquid"])
async def test_the_keepalive_pings_pass_the_socket_lock(ccxt_id: str) -> None:
    """These three keep their sockets alive with pings of their own (text or JSON), sent through the guarded
    ``send``: with a 50 ms keepalive, three pings go out and the stream still delivers (a refused ping would
    have failed the socket, and the watch with it)."""
    emu = EmulatorServer(SCENARIOS[ccxt_id](), seed=7, autorun=True, publish_interval=0.05, hl_idle_timeout=None,
                         okx_idle_timeout=None)
    await asyncio.wait_for(emu.start(), 10)
    sym, pings = SYMBOL[ccxt_id], []
    try:
        async with asyncio.timeout(LIMIT_S):
            ex = wrapped_ccxt(emu, ccxt_id)
            raw = ex._exchange
            raw.streaming["keepAlive"] = 50  # before the first watch: a client copies it when it is made
            try:
                await ex.load_markets()
                watch = ex.watch_mark_price if ex.has.get("watchMarkPrice") else ex.watch_ticker
                await watch(sym)
                (client,) = raw.clients.values()
                guarded = client.send

                async def counted(message: Any) -> Any:
                    pings.append(message)
                    return await guarded(message)

                client.send = counted
                while len(pings) < 3:
                    assert (await watch(sym))["symbol"] == sym
            finally:
                await ex.close()
    finally:
        await asyncio.wait_for(emu.stop(), 10)
    assert all("ping" in str(p) for p in pings), pings


def _redirect(request: web.Request) -> web.Response:
    if request.path == "/elsewhere":
        return web.json_response({"serverTime": 1})
    return web.Response(status=307, headers={"Location": "/elsewhere?signature=abc"})


@pytest.mark.parametrize("ccxt_id", ["binanceusdm", "krakenfutures"])
async def test_a_redirect_is_refused_not_followed(ccxt_id: str) -> None:
    """A 307 would re-send the request, its key headers with it, to a path never checked: refused, as the native
    request function refuses it. Stock ccxt follows it (the control)."""
    async with asyncio.timeout(LIMIT_S), recorder(_redirect) as (base, seen):
        ex = ccxt_instance.create_exchange(account(ccxt_id, base), enable_rate_limit=False)
        try:
            with pytest.raises(RedirectRefused, match=r"HTTP 307 redirect to .*/elsewhere refused") as err:
                await ex.fetch_time() if ccxt_id == "binanceusdm" else await ex.fetch_markets()
            assert "signature" not in str(err.value)
        finally:
            await ex.close()
        assert seen and "/elsewhere" not in {p for _, p in seen}
        stock = ccxt_instance.exchange_class(ccxt_id)({"enableRateLimit": False})
        stock.urls["api"] = ccxt_instance.rewrite_urls(stock.urls["api"], base, "")
        try:
            await (stock.fetch_time() if ccxt_id == "binanceusdm" else stock.fetch_markets())
        except Exception:  # the answer after the redirect may not parse as the read's: it was followed
            pass
        finally:
            await stock.close()
        assert "/elsewhere" in {p for _, p in seen}
