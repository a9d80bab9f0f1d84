"""Binance authentication checked as Binance checks it: API key, HMAC-SHA256 signature, timestamp window."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time

import aiohttp
import pytest

from liqwatch.emulator import EmulatorServer

from .helpers import KEY_A, KEY_B, LIMIT_S, SECRET_A, binance_ccxt, signed_query

PATH = "/fapi/v3/positionRisk"


async def _get(emu: EmulatorServer, query: str, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    async with aiohttp.ClientSession() as http, http.get(f"{emu.rest_url}{PATH}?{query}", headers=headers) as r:
        return r.status, await r.json()


@pytest.mark.parametrize(
    ("headers", "status", "code"),
    [
        ({}, 401, -2014),  # no key at all
        ({"X-MBX-APIKEY": "short"}, 401, -2014),  # not a Binance-shaped key
        ({"X-MBX-APIKEY": "Z" * 64}, 401, -2015),  # well formed, unknown
    ],
)
async def test_api_key_errors(emu: EmulatorServer, headers: dict[str, str], status: int, code: int) -> None:
    async with asyncio.timeout(LIMIT_S):
        got_status, body = await _get(emu, signed_query({}, SECRET_A), headers)
        assert (got_status, body["code"]) == (status, code)


async def test_signature_and_timestamp_errors(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        key = {"X-MBX-APIKEY": KEY_A}
        assert (await _get(emu, signed_query({}, SECRET_A), key))[0] == 200
        status, body = await _get(emu, signed_query({}, "not-the-secret"), key)
        assert (status, body) == (400, {"code": -1022, "msg": "Signature for this request is not valid."})
        # Another account's key with this account's signature is a bad signature, not a bad key.
        status, body = await _get(emu, signed_query({}, SECRET_A), {"X-MBX-APIKEY": KEY_B})
        assert (status, body["code"]) == (400, -1022)
        now = int(time.time() * 1000)
        status, body = await _get(emu, signed_query({}, SECRET_A, timestamp=now - 60_000), key)
        assert (status, body["code"]) == (400, -1021)
        status, body = await _get(emu, signed_query({}, SECRET_A, timestamp=now + 5_000), key)
        assert (status, body["code"]) == (400, -1021)
        status, body = await _get(emu, "recvWindow=5000", key)
        assert (status, body["code"]) == (400, -1102)
        query = f"timestamp={now}&recvWindow=70000"
        sig = hmac.new(SECRET_A.encode(), query.encode(), hashlib.sha256).hexdigest()
        status, body = await _get(emu, f"{query}&signature={sig}", key)
        assert (status, body["code"]) == (400, -1131)


async def test_signature_is_over_query_then_body(emu: EmulatorServer) -> None:
    """Binance signs ``totalParams``: the query string followed directly by the form body."""
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        query = "symbol=BTCUSDT"
        body = f"timestamp={int(time.time() * 1000)}&recvWindow=5000"
        sig = hmac.new(SECRET_A.encode(), (query + body).encode(), hashlib.sha256).hexdigest()
        async with http.get(
            f"{emu.rest_url}/fapi/v1/leverageBracket?{query}",
            data=f"{body}&signature={sig}",
            headers={"X-MBX-APIKEY": KEY_A, "Content-Type": "application/x-www-form-urlencoded"},
        ) as r:
            assert r.status == 200, await r.text()
            assert (await r.json())["symbol"] == "BTCUSDT"


async def test_listen_key_needs_only_the_api_key(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S), aiohttp.ClientSession() as http:
        async with http.post(f"{emu.rest_url}/fapi/v1/listenKey") as r:
            assert r.status == 401 and (await r.json())["code"] == -2014
        async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": "Q" * 64}) as r:
            assert r.status == 401 and (await r.json())["code"] == -2015
        async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": KEY_A}) as r:
            assert r.status == 200 and len((await r.json())["listenKey"]) == 64


async def test_ccxt_maps_a_wrong_secret_to_authentication_error(emu: EmulatorServer) -> None:
    import ccxt

    async with asyncio.timeout(LIMIT_S):
        ex = binance_ccxt(emu, KEY_A, "wrong-secret")
        try:
            await ex.load_markets()
            with pytest.raises(ccxt.AuthenticationError):
                await ex.fetch_positions()
        finally:
            await ex.close()
        ex = binance_ccxt(emu, "W" * 64, SECRET_A)
        try:
            with pytest.raises(ccxt.AuthenticationError):
                await ex.fetch_balance()
        finally:
            await ex.close()
