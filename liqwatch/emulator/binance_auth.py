"""Binance authentication as the exchange checks it: X-MBX-APIKEY, HMAC-SHA256 over the parameters,
``timestamp`` within ``recvWindow``; and the listenKey lifecycle of the user-data stream."""

from __future__ import annotations

import hashlib
import hmac
import random
import string
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qsl

from aiohttp import web

from liqwatch.emulator.accounts import BinanceAccount

DEFAULT_RECV_WINDOW_MS = 5000
MAX_RECV_WINDOW_MS = 60000
FUTURE_TOLERANCE_MS = 1000
_KEY_CHARS = frozenset(string.ascii_letters + string.digits)


class BinanceError(Exception):
    """An error the way Binance answers it: an HTTP status and ``{"code": ..., "msg": ...}``."""

    def __init__(self, status: int, code: int, msg: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{code}: {msg}")
        self.status = status
        self.code = code
        self.msg = msg
        self.headers = headers or {}

    def response(self) -> web.Response:
        return web.json_response({"code": self.code, "msg": self.msg}, status=self.status, headers=self.headers)


def bad_key_format() -> BinanceError:
    return BinanceError(401, -2014, "API-key format invalid.")


def rejected_key() -> BinanceError:
    return BinanceError(401, -2015, "Invalid API-key, IP, or permissions for action.")


def bad_signature() -> BinanceError:
    return BinanceError(400, -1022, "Signature for this request is not valid.")


def account_for_key(request: web.Request, accounts_by_key: dict[str, BinanceAccount]) -> BinanceAccount:
    key = request.headers.get("X-MBX-APIKEY", "")
    if len(key) != 64 or not set(key) <= _KEY_CHARS:
        raise bad_key_format()
    account = accounts_by_key.get(key)
    if account is None:
        raise rejected_key()
    return account


def _strip_signature(raw: str) -> tuple[str, str | None]:
    """The parameter string without ``signature=...``, and the signature if it was there."""
    if not raw:
        return "", None
    kept: list[str] = []
    signature: str | None = None
    for part in raw.split("&"):
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


def verify_signed(request: web.Request, body: str, account: BinanceAccount, now_ms: int) -> dict[str, str]:
    """Check a SIGNED request; returns its parameters (query and form body together)."""
    query, sig_q = _strip_signature(request.rel_url.raw_query_string)
    form, sig_b = _strip_signature(body)
    signature = sig_q if sig_q is not None else sig_b
    params: dict[str, str] = dict(parse_qsl(query, keep_blank_values=True))
    params.update(parse_qsl(form, keep_blank_values=True))
    timestamp_text = params.get("timestamp", "")
    if not timestamp_text.isdigit():
        raise BinanceError(400, -1102, "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.")
    recv_text = params.get("recvWindow", str(DEFAULT_RECV_WINDOW_MS))
    if not recv_text.isdigit():
        raise BinanceError(400, -1102, "Mandatory parameter 'recvWindow' was not sent, was empty/null, or malformed.")
    recv_window = int(recv_text)
    if recv_window > MAX_RECV_WINDOW_MS:
        raise BinanceError(400, -1131, "recvWindow must be less than 60000")
    timestamp = int(timestamp_text)
    if timestamp >= now_ms + FUTURE_TOLERANCE_MS:
        raise BinanceError(400, -1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if now_ms - timestamp > recv_window:
        raise BinanceError(400, -1021, "Timestamp for this request is outside of the recvWindow.")
    if not signature:
        raise BinanceError(400, -1102, "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.")
    # Binance signs the query string followed directly by the body ("totalParams").
    total = query + form
    expected = hmac.new(account.secret.encode(), total.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise bad_signature()
    return params


@dataclass(slots=True)
class ListenKey:
    key: str
    account: str
    expires_at: float  # on the emulator's monotonic clock
    valid: bool = True


class ListenKeys:
    """One listenKey per account; valid for ``ttl`` seconds, extended by POST or PUT."""

    def __init__(self, seed: int, ttl: float, monotonic: Callable[[], float]) -> None:
        self._rng = random.Random(f"liqwatch-listenkey:{seed}")
        self.ttl = ttl
        self._now = monotonic
        self.by_key: dict[str, ListenKey] = {}
        self.by_account: dict[str, ListenKey] = {}

    def _new_key(self) -> str:
        alphabet = string.ascii_letters + string.digits
        return "".join(self._rng.choice(alphabet) for _ in range(64))

    def active(self, account: str) -> ListenKey | None:
        lk = self.by_account.get(account)
        if lk is None or not lk.valid or lk.expires_at <= self._now():
            return None
        return lk

    def create(self, account: str) -> str:
        lk = self.active(account)
        if lk is None:
            lk = ListenKey(self._new_key(), account, 0.0)
            self.by_key[lk.key] = lk
            self.by_account[account] = lk
        lk.expires_at = self._now() + self.ttl
        return lk.key

    def keepalive(self, account: str) -> str:
        lk = self.active(account)
        if lk is None:
            raise BinanceError(400, -1125, "This listenKey does not exist.")
        lk.expires_at = self._now() + self.ttl
        return lk.key

    def delete(self, account: str) -> str | None:
        lk = self.by_account.pop(account, None)
        if lk is None:
            return None
        lk.valid = False
        return lk.key

    def lookup(self, key: str) -> ListenKey | None:
        lk = self.by_key.get(key)
        if lk is None or not lk.valid or lk.expires_at <= self._now():
            return None
        return lk

    def due(self) -> list[ListenKey]:
        """Keys whose time ran out and that have not been announced yet."""
        now = self._now()
        out = [lk for lk in self.by_key.values() if lk.valid and lk.expires_at <= now]
        for lk in out:
            lk.valid = False
        return out

    def expire(self, account: str | None = None) -> list[ListenKey]:
        """Expire keys now (a fault): of one account, or every valid key."""
        out = [lk for lk in self.by_key.values() if lk.valid and (account is None or lk.account == account)]
        for lk in out:
            lk.valid = False
            lk.expires_at = self._now()
        return out
