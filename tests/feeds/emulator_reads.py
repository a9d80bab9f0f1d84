"""What the emulator's REST answers say of a demo account, read as a client would (signed for Binance, Bybit and
OKX): the exchange's own figures a test compares liqwatch's with."""

from __future__ import annotations

from typing import Any

import aiohttp

from liqwatch.emulator import EmulatorServer
from tests.emulator.bybit_helpers import bybit_headers
from tests.emulator.helpers import signed_query
from tests.emulator.okx_helpers import okx_headers


async def binance_read(http: aiohttp.ClientSession, emu: EmulatorServer, name: str,
                       path: str = "/fapi/v2/account") -> Any:
    spec = next(a for a in emu.scenario.binance.accounts if a.name == name)
    async with http.get(f"{emu.rest_url}{path}?" + signed_query({}, spec.secret),
                        headers={"X-MBX-APIKEY": spec.api_key}) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def hyperliquid_state(http: aiohttp.ClientSession, emu: EmulatorServer, name: str,
                            kind: str = "clearinghouseState") -> Any:
    """The account's ``kind`` of info (its clearinghouseState, its userFees, ...)."""
    spec = next(a for a in emu.scenario.hyperliquid.accounts if a.name == name)
    async with http.post(f"{emu.rest_url}/info", json={"type": kind, "user": spec.address}) as r:
        assert r.status == 200, await r.text()
        return await r.json()


async def bybit_read(http: aiohttp.ClientSession, emu: EmulatorServer, name: str, path: str, query: str) -> Any:
    """The ``result`` of one signed Bybit v5 GET (``path`` as ``/v5/account/wallet-balance``)."""
    spec = next(a for a in emu.scenario.bybit.accounts if a.name == name)
    async with http.get(f"{emu.rest_url}{path}?{query}", headers=bybit_headers(query, spec.api_key, spec.secret)) as r:
        assert r.status == 200, await r.text()
        body = await r.json()
    assert body["retCode"] == 0, body
    return body["result"]


async def okx_read(http: aiohttp.ClientSession, emu: EmulatorServer, name: str, path_qs: str) -> Any:
    """The ``data`` of one signed OKX v5 GET (``path_qs`` as ``/api/v5/account/balance``)."""
    spec = next(a for a in emu.scenario.okx.accounts if a.name == name)
    headers = okx_headers(spec.secret, spec.api_key, spec.passphrase, "GET", path_qs)
    async with http.get(f"{emu.rest_url}{path_qs}", headers=headers) as r:
        assert r.status == 200, await r.text()
        body = await r.json()
    assert body["code"] == "0", body
    return body["data"]
