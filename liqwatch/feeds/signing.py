"""Request signers, one per exchange, as declared data: given a request (method, path, query parameters,
body) and the time to sign it at, the exact query string and body to send and the headers to add.

The signature covers the exact bytes sent, so a signer returns the query already encoded: the caller appends
it to the URL as it is (never re-encoded by ``params=``). Secrets stay wrapped (``Secret``) until the HMAC,
and neither a signer nor a signed request shows a key, a secret or a passphrase in its repr.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol
from urllib.parse import urlencode

from liqwatch.feeds.account_config import Secret


@dataclass(frozen=True, slots=True)
class SignedRequest:
    query: str  # the encoded query string, signature included where it rides in the query ("" for none)
    headers: Mapping[str, str] = field(repr=False)  # API key and signature: never shown
    body: str = ""

    def url(self, base: str, path: str) -> str:
        return f"{base.rstrip('/')}{path}" + (f"?{self.query}" if self.query else "")


class Signer(Protocol):
    def sign(self, method: str, path: str, params: Mapping[str, str], body: str,
             timestamp: datetime) -> SignedRequest:
        """The request to send at ``timestamp`` (the exchange's clock as we measured it), signed."""
        ...


def hmac_sha256(secret: Secret, payload: str) -> bytes:
    return hmac.new(secret.get().encode(), payload.encode(), hashlib.sha256).digest()


def epoch_ms(timestamp: datetime) -> str:
    if timestamp.tzinfo is None:
        raise ValueError("a signing time must be timezone-aware UTC")
    return str(int(timestamp.timestamp() * 1000))


def iso_ms(timestamp: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a Z, as OKX wants it: 2020-12-08T09:08:57.715Z."""
    if timestamp.tzinfo is None:
        raise ValueError("a signing time must be timezone-aware UTC")
    t = timestamp.astimezone(UTC)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True, slots=True)
class BinanceSigner:
    """Binance SIGNED endpoints: ``timestamp`` and ``recvWindow`` appended to the query, then ``signature`` =
    hex HMAC-SHA256 of the query string followed by the body; the key in ``X-MBX-APIKEY``."""

    api_key: Secret
    api_secret: Secret
    recv_window_ms: int = 5000

    def key_headers(self) -> dict[str, str]:
        """For the endpoints that take the key but no signature (the listen key's)."""
        return {"X-MBX-APIKEY": self.api_key.get()}

    def sign(self, method: str, path: str, params: Mapping[str, str], body: str,
             timestamp: datetime) -> SignedRequest:
        q = dict(params)
        q["timestamp"] = epoch_ms(timestamp)
        q["recvWindow"] = str(self.recv_window_ms)
        query = urlencode(q)
        sig = hmac_sha256(self.api_secret, query + body).hex()
        return SignedRequest(f"{query}&signature={sig}", self.key_headers(), body)


@dataclass(frozen=True, slots=True)
class BybitSigner:
    """Bybit v5: ``X-BAPI-SIGN`` = hex HMAC-SHA256 of timestamp + key + recvWindow + (the query string for a
    GET, the body otherwise), beside ``X-BAPI-API-KEY``, ``X-BAPI-TIMESTAMP`` (ms) and ``X-BAPI-RECV-WINDOW``."""

    api_key: Secret
    api_secret: Secret
    recv_window_ms: int = 5000

    def sign(self, method: str, path: str, params: Mapping[str, str], body: str,
             timestamp: datetime) -> SignedRequest:
        ts, window, query = epoch_ms(timestamp), str(self.recv_window_ms), urlencode(dict(params))
        payload = ts + self.api_key.get() + window + (query if method.upper() == "GET" else body)
        headers = {"X-BAPI-API-KEY": self.api_key.get(), "X-BAPI-TIMESTAMP": ts, "X-BAPI-RECV-WINDOW": window,
                   "X-BAPI-SIGN": hmac_sha256(self.api_secret, payload).hex()}
        return SignedRequest(query, headers, body)


@dataclass(frozen=True, slots=True)
class OkxSigner:
    """OKX v5: ``OK-ACCESS-SIGN`` = base64 HMAC-SHA256 of timestamp + METHOD + requestPath (with its ``?query``)
    + body, beside ``OK-ACCESS-KEY``, ``OK-ACCESS-TIMESTAMP`` (ISO, ms, Z) and ``OK-ACCESS-PASSPHRASE``."""

    api_key: Secret
    api_secret: Secret
    passphrase: Secret

    def sign(self, method: str, path: str, params: Mapping[str, str], body: str,
             timestamp: datetime) -> SignedRequest:
        ts, query = iso_ms(timestamp), urlencode(dict(params))
        request_path = path + (f"?{query}" if query else "")
        sig = base64.b64encode(hmac_sha256(self.api_secret, ts + method.upper() + request_path + body)).decode()
        headers = {"OK-ACCESS-KEY": self.api_key.get(), "OK-ACCESS-SIGN": sig, "OK-ACCESS-TIMESTAMP": ts,
                   "OK-ACCESS-PASSPHRASE": self.passphrase.get()}
        return SignedRequest(query, headers, body)
