"""What the emulator's REST answers say of a demo account, read as a client would (signed for Binance): the
exchange's own figures a test compares liqwatch's with."""

from __future__ import annotations

from typing import Any

import aiohttp

from liqwatch.emulator import EmulatorServer
from tests.emulator.helpers import signed_query


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
