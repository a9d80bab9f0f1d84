"""Shared helpers for the emulator tests: small scenarios, ccxt pointed at 127.0.0.1, raw socket reads."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import re
import time
from typing import Any
from urllib.parse import urlencode

import aiohttp
import orjson

from liqwatch.emulator import EmulatorServer, Scenario, scenario_from_toml

LIMIT_S = 20.0  # every test body runs under asyncio.timeout(LIMIT_S) at most

KEY_A = "A" * 60 + "0001"
SECRET_A = "secretA" * 8
KEY_B = "B" * 60 + "0002"
SECRET_B = "secretB" * 8
ADDR_A = "0x" + "a" * 39 + "1"
ADDR_B = "0x" + "b" * 39 + "2"

_URL = re.compile(r"^(https?|wss?)://[^/?]+(.*)$")


def localize(urls: Any, http_base: str, ws_base: str) -> Any:
    """Rewrite every URL ccxt knows to the emulator, keeping the paths (nothing can leak to a real host)."""
    if isinstance(urls, dict):
        return {k: localize(v, http_base, ws_base) for k, v in urls.items()}
    if isinstance(urls, str) and (m := _URL.match(urls)):
        return (ws_base if m.group(1).startswith("ws") else http_base) + m.group(2)
    return urls


def external_urls(urls: Any) -> list[str]:
    found: list[str] = []
    if isinstance(urls, dict):
        for v in urls.values():
            found.extend(external_urls(v))
    elif isinstance(urls, str) and _URL.match(urls) and "127.0.0.1" not in urls:
        found.append(urls)
    return found


def binance_ccxt(emu: EmulatorServer, api_key: str, secret: str) -> Any:
    import ccxt.pro as ccxtpro

    ex = ccxtpro.binanceusdm(
        {
            "apiKey": api_key,
            "secret": secret,
            "enableRateLimit": False,
            "options": {"fetchCurrencies": False, "ws": {"compress": 0}},
        }
    )
    ex.urls["api"] = localize(ex.urls["api"], emu.rest_url, emu.ws_url)
    assert external_urls(ex.urls["api"]) == []
    return ex


def hyperliquid_ccxt(emu: EmulatorServer, address: str) -> Any:
    import ccxt.pro as ccxtpro

    ex = ccxtpro.hyperliquid({"walletAddress": address, "enableRateLimit": False, "options": {"ws": {"compress": 0}}})
    ex.urls["api"] = localize(ex.urls["api"], emu.rest_url, emu.ws_url)
    assert external_urls(ex.urls["api"]) == []
    return ex


def signed_query(params: dict[str, Any], secret: str, *, timestamp: int | None = None) -> str:
    full = {**params, "timestamp": timestamp if timestamp is not None else int(time.time() * 1000), "recvWindow": 5000}
    query = urlencode(full)
    sig = hmac.new(secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    return f"{query}&signature={sig}"


async def recv_json(ws: aiohttp.ClientWebSocketResponse, within: float = 3.0) -> Any:
    msg = await asyncio.wait_for(ws.receive(), within)
    assert msg.type == aiohttp.WSMsgType.TEXT, (msg.type, msg.data)
    return orjson.loads(msg.data)


async def recv_until(ws: aiohttp.ClientWebSocketResponse, predicate: Any, within: float = 3.0) -> Any:
    """Read frames until one satisfies ``predicate``; fails after ``within`` seconds."""
    async with asyncio.timeout(within):
        while True:
            data = await recv_json(ws, within)
            if predicate(data):
                return data


async def no_frame(ws: aiohttp.ClientWebSocketResponse, within: float = 0.3) -> bool:
    """True when nothing arrives for ``within`` seconds."""
    try:
        msg = await asyncio.wait_for(ws.receive(), within)
    except TimeoutError:
        return True
    raise AssertionError(f"unexpected frame: {msg.type} {msg.data!r}")


SMALL_TOML = f"""
name = "small"

[emulator]
step_seconds = 1.0
start_time = "2026-01-01T07:59:50Z"

[[paths]]
name = "BTC"
start = 60000.0
vol_per_sqrt_hour = 0.01

[[paths]]
name = "ETH"
start = 3000.0
vol_per_sqrt_hour = 0.0
waypoints = [[100.0, 2700.0]]

[[binance.markets]]
symbol = "BTCUSDT"
path = "BTC"

[[binance.markets]]
symbol = "ETHUSDT"
path = "ETH"
premium_noise_bps = 0.0
premium_bps = 0.0

[[hyperliquid.markets]]
coin = "BTC"
path = "BTC"
sz_decimals = 5
max_leverage = 40

[[hyperliquid.markets]]
coin = "ETH"
path = "ETH"
sz_decimals = 4
max_leverage = 25
premium_noise_bps = 0.0
premium_bps = 0.0

[[binance.accounts]]
name = "alice"
api_key = "{KEY_A}"
secret = "{SECRET_A}"
wallet = 10000.0

[[binance.accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = 0.5
entry = 59000.0
leverage = 10

[[binance.accounts.positions]]
symbol = "ETHUSDT"
side = "long"
size = 10.0
entry = 3000.0
margin = "isolated"
isolated_wallet = 1500.0
leverage = 20

[[binance.accounts]]
name = "bob"
api_key = "{KEY_B}"
secret = "{SECRET_B}"
position_mode = "hedge"
wallet = 5000.0

[[binance.accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = 0.4
entry = 60500.0

[[binance.accounts.positions]]
symbol = "BTCUSDT"
side = "short"
size = 0.1
entry = 59500.0

[[hyperliquid.accounts]]
name = "carol"
address = "{ADDR_A}"
balance = 8000.0

[[hyperliquid.accounts.positions]]
coin = "BTC"
side = "long"
size = 0.5
entry = 59500.0
leverage = 10

[[hyperliquid.accounts.positions]]
coin = "ETH"
side = "long"
size = 4.0
entry = 3000.0
margin = "isolated"
isolated_margin = 900.0
leverage = 20

[[hyperliquid.accounts]]
name = "dave"
address = "{ADDR_B}"
balance = 100.0
"""


def small_scenario() -> Scenario:
    """Two Binance accounts (one-way and hedge), two Hyperliquid addresses; ETH falls 10% in 100 s, no noise."""
    return scenario_from_toml(SMALL_TOML, source="small")


async def wait_for_conn(emu: EmulatorServer, kind: str, count: int = 1, within: float = 5.0) -> None:
    """Until ``count`` sockets of ``kind`` are open (a client connects in the background)."""
    from liqwatch.emulator.streams import target_kinds

    async with asyncio.timeout(within):
        # Polling the server's registry is the point here: the connection is made by a client in the background.
        while len(emu.hub.of(target_kinds(kind))) < count:  # noqa: ASYNC110
            await asyncio.sleep(0.01)


async def wait_for_subscription(emu: EmulatorServer, within: float = 5.0) -> None:
    """Until some Binance market socket or Hyperliquid socket holds a subscription."""
    async with asyncio.timeout(within):
        while True:
            states = list(emu.binance_ws._market_state.values())
            if any(s.subs for s in states) or any(emu.hl_ws._subs.values()):
                return
            await asyncio.sleep(0.01)
