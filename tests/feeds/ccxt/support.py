"""Shared by the ccxt stage-1 tests: accounts for the emulator's four protocols, the ccxt options that keep stock
ccxt on what the emulator serves, and a catch-all server on 127.0.0.1 that records every request it gets (the
emulator logs only the requests it routes: a refused write it does not serve would not show in its log)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from liqwatch.feeds.account_config import FeedAccount, Secret
from tests.emulator.bybit_helpers import BYBIT_KEY, BYBIT_SECRET
from tests.emulator.helpers import ADDR_A, KEY_A, SECRET_A
from tests.emulator.okx_helpers import OKX_KEY_ISO, OKX_PASS_ISO, OKX_SECRET_ISO
from tests.local_http import recording

#: ccxt options per id for the emulator (the same as tests/emulator's helpers use for stock ccxt).
OPTIONS: dict[str, dict[str, Any]] = {
    "binanceusdm": {"fetchCurrencies": False, "ws": {"compress": 0}},
    "bybit": {"ws": {"compress": 0}, "defaultType": "swap", "loadAllOptions": False},
    "okx": {"ws": {"compress": 0}, "defaultType": "swap"},
    "hyperliquid": {"ws": {"compress": 0}},
}
CREDENTIALS: dict[str, tuple[str | None, str | None, str | None, str | None]] = {  # key, secret, password, address
    "binanceusdm": (KEY_A, SECRET_A, None, None),
    "bybit": (BYBIT_KEY, BYBIT_SECRET, None, None),
    "okx": (OKX_KEY_ISO, OKX_SECRET_ISO, OKX_PASS_ISO, None),
    "hyperliquid": (None, None, None, ADDR_A),
}


def account(ccxt_id: str, rest_url: str = "", ws_url: str = "", *,
            creds: tuple[str | None, str | None, str | None, str | None] | None = None) -> FeedAccount:
    key, secret, password, address = creds if creds is not None else CREDENTIALS.get(ccxt_id, (None,) * 4)
    return FeedAccount(
        name=f"generic-{ccxt_id}", exchange="ccxt", rest_url=rest_url, ws_url=ws_url,
        api_key=Secret(key) if key else None, api_secret=Secret(secret) if secret else None,
        passphrase=Secret(password) if password else None, address=address, ccxt_id=ccxt_id,
    )


Answer = Callable[[web.Request], web.Response]


@asynccontextmanager
async def recorder(answer: Answer | None = None) -> AsyncIterator[tuple[str, list[tuple[str, str]]]]:
    """A server on 127.0.0.1 answering every method and path (``answer``, or ``{}``), and the (method, path) of
    each request it got."""
    async with recording(answer) as got:
        yield got
