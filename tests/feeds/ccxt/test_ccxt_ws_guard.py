"""What a ccxt.pro instance may send on its sockets: for the four exchanges the emulator speaks, exactly what the
native adapters may (subscriptions, pings, a login); for any other id, nothing that names an order, a cancel, a
withdrawal, a transfer or a leverage. An order over Binance's WS-API is refused before the socket is dialled
(stock ccxt, the control, does dial it)."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.emulator import EmulatorServer
from liqwatch.feeds import ccxt_instance
from liqwatch.feeds.ccxt_guard import ForbiddenMethod, WsGuard
from liqwatch.feeds.ws_allowlist import ForbiddenMessage
from tests.emulator.helpers import KEY_A, LIMIT_S, SECRET_A, binance_ccxt, small_scenario

from .support import OPTIONS, account, recorder

SENT_BY_READS = {  # what ccxt.pro's watch_* of each sends (subscriptions, logins, its keepalive pings)
    "binanceusdm": [{"method": "SUBSCRIBE", "params": ["btcusdt@markPrice@1s"], "id": 1}],
    "bybit": [{"op": "subscribe", "args": ["position"], "req_id": "1"},
              {"req_id": "2", "op": "auth", "args": ["KEY", 1, "SIG"]}, {"req_id": "3", "op": "ping"}],
    "okx": [{"op": "subscribe", "args": [{"channel": "positions", "instType": "ANY"}]},
            {"op": "login", "args": [{"apiKey": "K", "passphrase": "P", "timestamp": "1", "sign": "S"}]}, "ping"],
    "hyperliquid": [{"method": "subscribe", "subscription": {"type": "clearinghouseState", "user": "0xabc"}},
                    {"method": "ping"}],
}
WRITES = [{"id": "1", "method": "order.place", "params": {"symbol": "BTCUSDT"}},
          {"method": "post", "id": 1, "request": {"type": "action", "payload": {"action": {"type": "order"}}}},
          {"op": "order", "args": []}, {"op": "trade", "args": [{"channel": "place-order"}]}, {"id": 1}, "order"]


@pytest.mark.parametrize("ccxt_id", sorted(SENT_BY_READS))
def test_the_four_send_only_subscriptions_pings_and_logins(ccxt_id: str) -> None:
    guard = WsGuard(ccxt_id)
    for message in SENT_BY_READS[ccxt_id]:
        guard.check(message)
    for message in [*WRITES, {"method": "SUBSCRIBE", "op": "order"}, "PING", "ping "]:
        with pytest.raises(ForbiddenMessage, match="refused before sending"):
            guard.check(message)


@pytest.mark.parametrize("ccxt_id", ["binanceusdm", "okx", "krakenfutures"])
async def test_a_socket_clients_own_send_is_guarded(ccxt_id: str) -> None:
    """The one place a frame leaves ccxt (what an exchange sends outside ``watch`` goes through it too)."""
    ex = ccxt_instance.create_exchange(account(ccxt_id, "http://127.0.0.1:9"), enable_rate_limit=False)
    try:
        client = ex._exchange.client("ws://127.0.0.1:9/ws")  # never dialled: the guard refuses first
        with pytest.raises(ForbiddenMessage):
            await client.send({"op": "order", "args": [{"side": "buy"}]})
        guarded = client.send
        assert ex._exchange.client("ws://127.0.0.1:9/ws") is client and client.send is guarded  # wrapped once
        with pytest.raises(ConnectionError):  # an allowed frame gets past the guard to ccxt (not connected)
            await client.send("ping" if ccxt_id != "binanceusdm" else {"method": "SUBSCRIBE", "params": []})
    finally:
        await ex.close()


def test_the_refusal_names_the_verb_not_the_message() -> None:
    with pytest.raises(ForbiddenMessage) as err:
        WsGuard("okx").check({"op": "order", "args": [{"sign": "c2lnbmF0dXJlLXNlY3JldA=="}]})
    assert "'op': 'order'" in str(err.value) and "c2lnbmF0dXJl" not in str(err.value)


@pytest.mark.parametrize("ccxt_id", ["krakenfutures", "bitget", "gate"])
def test_another_id_sends_nothing_naming_a_write(ccxt_id: str) -> None:
    guard = WsGuard(ccxt_id)
    for message in ({"event": "subscribe", "feed": "ticker", "product_ids": ["PF_XBTUSD"]},
                    {"op": "subscribe", "args": [{"instType": "USDT-FUTURES", "channel": "positions"}]},
                    {"time": 1, "channel": "futures.tickers", "event": "subscribe", "payload": ["BTC_USDT"]},
                    {"op": "login", "args": [{"apiKey": "k", "sign": "s"}]}, "ping"):
        guard.check(message)
    for message in [*WRITES[:4], {"channel": "futures.order_place", "event": "api"},
                    {"event": "subscribe", "feed": "open_orders"}, {"op": "Withdraw"}, {"a": ["x", {"Leverage": 1}]}]:
        with pytest.raises(ForbiddenMessage, match="names"):
            guard.check(message)


async def test_an_order_over_binances_ws_api_is_refused_before_the_socket_is_dialled() -> None:
    """REST on the emulator (markets), sockets on the catch-all server, which records the WS-API's upgrade
    request however it answers it (the emulator serves no WS-API, and logs no unrouted request)."""
    emu = EmulatorServer(small_scenario(), seed=4, autorun=False, hl_idle_timeout=None)
    await asyncio.wait_for(emu.start(), 10)
    order = ("BTC/USDT:USDT", "limit", "buy", 0.01, 50000.0)
    try:
        async with asyncio.timeout(LIMIT_S), recorder() as (base, seen):
            ws_base = base.replace("http://", "ws://")
            ex = ccxt_instance.create_exchange(account("binanceusdm", emu.rest_url, ws_base),
                                               options=OPTIONS["binanceusdm"], enable_rate_limit=False)
            try:
                await ex.load_markets()
                with pytest.raises(ForbiddenMethod):
                    await ex.create_order_ws(*order)
                with pytest.raises(ForbiddenMessage, match=r"order\.place"):
                    await ex._exchange.create_order_ws(*order)
            finally:
                await ex.close()
            assert seen == []
            stock = binance_ccxt(emu, KEY_A, SECRET_A)  # the control: stock ccxt.pro dials the WS-API to send it
            stock.urls["api"] = ccxt_instance.rewrite_urls(stock.urls["api"], emu.rest_url, ws_base)
            try:
                await stock.load_markets()
                with pytest.raises(Exception):  # noqa: B017 - the catch-all server is no socket; it was dialled
                    await asyncio.wait_for(stock.create_order_ws(*order), 3)
            finally:
                await stock.close()
            assert seen == [("GET", "/ws-fapi/v1")]
    finally:
        await asyncio.wait_for(emu.stop(), 10)
