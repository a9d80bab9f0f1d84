"""Review of issue 11's signers: "the signature covers the exact bytes sent" (liqwatch.feeds.signing). A server on
127.0.0.1 checks each signature the way the exchange does, over the raw request line it received, for a request
sent as an adapter sends it (``SignedRequest.url`` into ``request_json``)."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import aiohttp
import pytest
from aiohttp import web

from liqwatch.feeds.account_config import Secret
from liqwatch.feeds.rest import ReadOnlyGuard, RestGate, request_json
from liqwatch.feeds.signing import BinanceSigner, BybitSigner, OkxSigner, SignedRequest
from tests.local_http import served

PATH = "/api/v5/account/positions"
GUARD = ReadOnlyGuard("test", frozenset({("GET", PATH)}))
KEY, SECRET, PHRASE = "review1-key-0001", "review1-secret-0002", "review1-phrase-0003"
AT = datetime(2026, 1, 1, 12, 0, 0, 123000, tzinfo=UTC)


def _hmac(payload: str) -> bytes:
    return hmac.new(SECRET.encode(), payload.encode(), hashlib.sha256).digest()


def verified(exchange: str, request: web.Request) -> bool:
    """The exchange's own check, over the bytes of the request line as received (never a re-encoding)."""
    raw = request.raw_path  # path?query exactly as sent
    query = raw.split("?", 1)[1] if "?" in raw else ""
    h = request.headers
    if exchange == "binance":
        signed, _, sig = query.rpartition("&signature=")
        return hmac.compare_digest(_hmac(signed).hex(), sig)
    if exchange == "bybit":
        payload = h["X-BAPI-TIMESTAMP"] + h["X-BAPI-API-KEY"] + h["X-BAPI-RECV-WINDOW"] + query
        return hmac.compare_digest(_hmac(payload).hex(), h["X-BAPI-SIGN"])
    payload = h["OK-ACCESS-TIMESTAMP"] + "GET" + raw
    return hmac.compare_digest(base64.b64encode(_hmac(payload)).decode(), h["OK-ACCESS-SIGN"])


@contextlib.asynccontextmanager
async def checking(exchange: str) -> AsyncIterator[str]:
    async def handle(request: web.Request) -> web.Response:
        return web.json_response({"ok": verified(exchange, request), "raw": request.raw_path})

    app = web.Application()
    app.router.add_get(PATH, handle)
    async with served(app) as url:
        yield url


def _sign(exchange: str, params: dict[str, str]) -> SignedRequest:
    key, secret = Secret(KEY), Secret(SECRET)
    signer = {"binance": BinanceSigner(key, secret), "bybit": BybitSigner(key, secret),
              "okx": OkxSigner(key, secret, Secret(PHRASE))}[exchange]
    return signer.sign("GET", PATH, params, "", AT)


async def _sent(exchange: str, params: dict[str, str]) -> dict[str, object]:
    async with asyncio.timeout(10), checking(exchange) as base, aiohttp.ClientSession() as s:
        signed = _sign(exchange, params)
        result: dict[str, object] = await request_json(s, "GET", signed.url(base, PATH), guard=GUARD,
                                                       gate=RestGate(), timeout_s=5, headers=signed.headers)
        return result


@pytest.mark.parametrize("exchange", ["binance", "bybit", "okx"])
async def test_a_plain_query_verifies(exchange: str) -> None:
    """The control: the server's check accepts what the signer and request_json send for a plain symbol."""
    assert (await _sent(exchange, {"instId": "BTC-USDT-SWAP"}))["ok"] is True


@pytest.mark.parametrize("exchange", ["binance", "bybit", "okx"])
@pytest.mark.parametrize("value", ["BTC-USDT-SWAP,ETH-USDT-SWAP", "a*b", "x(1)"])
async def test_the_signature_covers_the_bytes_sent(exchange: str, value: str) -> None:
    """OKX takes several instIds comma-separated (GET /api/v5/account/positions?instId=A,B): the signed
    '%2C' goes out as ',', OKX answers 50113 invalid signature, and an AuthError disables the account."""
    got = await _sent(exchange, {"instId": value})
    assert got["ok"] is True, got["raw"]
