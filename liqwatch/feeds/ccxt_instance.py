"""A read-only ccxt instance for one generic account (``exchange = "ccxt"``), ccxt imported only here.

``import ccxt`` costs 0.4-0.9 s and about 100 MB (every exchange is imported): the demo and the native-only
configurations must not pay it, so no module of liqwatch imports ccxt at its top; ``exchange_class`` does,
when a generic account is built. What it returns is always wrapped (``ReadOnlyExchange``), its ``fetch``
guarded, its URLs pointed at the account's ``rest_url`` / ``ws_url`` when given, and its credentials
registered with the redaction before ccxt holds them.
"""

from __future__ import annotations

import difflib
import functools
import re
import ssl
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.ccxt_guard import (
    ReadOnlyExchange,
    RequestGuard,
    WsGuard,
    install_redirect_guard,
    install_request_guard,
    install_ws_guard,
)
from liqwatch.redact import register_secret

__all__ = ["RefusedCcxtOption", "UnknownCcxtExchange", "create_exchange", "exchange_class", "rewrite_urls"]

# Scheme, then the authority (host and port; ccxt's ``{hostname}`` placeholder included), then the rest kept.
_URL = re.compile(r"^(https?|wss?)://[^/?#]*(.*)$", re.IGNORECASE | re.DOTALL)
_WS_OF = {"http": "ws", "https": "wss"}
_HTTP_OF = {"ws": "http", "wss": "https"}


class UnknownCcxtExchange(ValueError):
    """``ccxt_id`` names no exchange of the installed ccxt."""


class RefusedCcxtOption(ValueError):
    """An option liqwatch does not let through to ccxt (``WS_TUNING``)."""


#: What ``options["ws"]`` may set. ccxt.pro sets every key of that table on each socket client it makes, as an
#: attribute: ``url`` or ``proxy`` would move the sockets (the login with them) past the URL rewrite, ``verbose``
#: would ``print`` every frame, a login's key and signature included, past the log redaction.
WS_TUNING = frozenset({"compress", "connectionTimeout", "decompressBinary", "gunzip", "inflate", "keepAlive",
                       "maxPingPongMisses"})


def check_options(options: Mapping[str, Any]) -> None:
    """Raise ``RefusedCcxtOption`` for options outside what liqwatch lets ccxt be tuned with."""
    ws = options.get("ws")
    if ws is None:
        return
    if not isinstance(ws, Mapping):
        raise RefusedCcxtOption("ccxt_options.ws: a table of socket settings, not a " + type(ws).__name__)
    refused = sorted(str(k) for k in ws if k not in WS_TUNING)
    if refused:
        raise RefusedCcxtOption(f"ccxt_options.ws: {', '.join(refused)} not accepted (ccxt would set it on every "
                                f"socket: only {', '.join(sorted(WS_TUNING))} may be tuned)")


def exchange_class(ccxt_id: str) -> Any:
    """The async class for ``ccxt_id``: ccxt.pro's where it has one (it adds the ``watch_*`` methods),
    else ccxt.async_support's. The one place ccxt is imported."""
    import ccxt
    import ccxt.async_support as ccxt_async
    import ccxt.pro as ccxt_pro

    if ccxt_id in ccxt_pro.exchanges:
        return getattr(ccxt_pro, ccxt_id)
    if ccxt_id in ccxt_async.exchanges:
        return getattr(ccxt_async, ccxt_id)
    close = difflib.get_close_matches(ccxt_id, ccxt_async.exchanges, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise UnknownCcxtExchange(f"ccxt_id {ccxt_id!r} is not an exchange of ccxt {ccxt.__version__}{hint}")


def _swap_scheme(url: str, table: Mapping[str, str]) -> str:
    scheme, sep, rest = url.partition("://")
    return table.get(scheme.lower(), scheme) + sep + rest


def _bases(rest_url: str, ws_url: str) -> tuple[str | None, str | None]:
    """The REST and websocket bases entries are moved to. Given only one, the other is the same host with the
    scheme turned over (http<->ws, https<->wss): nothing is left pointing at the exchange's own host."""
    rest = rest_url.strip().rstrip("/") or None
    ws = ws_url.strip().rstrip("/") or None
    if rest is not None and ws is None:
        ws = _swap_scheme(rest, _WS_OF)
    elif ws is not None and rest is None:
        rest = _swap_scheme(ws, _HTTP_OF)
    return rest, ws


def rewrite_urls(api: Any, rest_url: str, ws_url: str) -> Any:
    """``api`` (a ccxt ``urls['api']``: strings in dicts, nested) with each URL's scheme and authority
    replaced by the REST base (an http(s) entry) or the websocket base (a ws(s) entry), its path and query
    kept. Empty ``rest_url`` and ``ws_url``: ``api`` as it is."""
    rest, ws = _bases(rest_url, ws_url)
    if rest is None and ws is None:
        return api

    def walk(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, str) and (m := _URL.match(value)):
            base = ws if m.group(1).lower().startswith("ws") else rest
            return value if base is None else base + m.group(2)
        return value

    return walk(api)


def _config(account: FeedAccount, options: Mapping[str, Any] | None, enable_rate_limit: bool) -> dict[str, Any]:
    config: dict[str, Any] = {"enableRateLimit": enable_rate_limit, "options": dict(options or {})}
    for field, value in (("apiKey", account.api_key), ("secret", account.api_secret),
                         ("password", account.passphrase)):
        if value is not None:
            register_secret(value.get())  # before ccxt holds it: every text it could appear in is redacted
            config[field] = value.get()
    if account.address:
        config["walletAddress"] = account.address  # Hyperliquid-style accounts: the public address reads
    return config


#: How many times ccxt's throttle looks at its token bucket in one ``rateLimit`` while a request waits its turn.
#: ccxt's default looks every millisecond (its ``tokenBucket`` ``delay``, 0.001 s): a loop at 1 kHz for as long
#: as any request waits, ~3 % of a core each (measured: 25,000 wake-ups in 53 s of the generic adapter's
#: emulator tests on two exchanges). The bucket only fills with the time that passed, so looking less often
#: never lets a request out sooner: the rate stays inside ``rateLimit``; a request leaves at most a quarter of
#: a ``rateLimit`` later than it could.
THROTTLE_LOOKS_PER_RATE_LIMIT = 4
#: ccxt's own interval, the shortest kept (an exchange with a ``rateLimit`` under 4 ms).
THROTTLE_MIN_DELAY_S = 0.001


def pace_throttle(exchange: Any) -> None:
    """Set ``exchange``'s throttle (REST, and the sockets' it makes later from the same ``tokenBucket``) to look
    at its bucket ``THROTTLE_LOOKS_PER_RATE_LIMIT`` times per ``rateLimit`` instead of every millisecond."""
    rate_limit_ms = float(getattr(exchange, "rateLimit", 0) or 0)
    delay = max(THROTTLE_MIN_DELAY_S, rate_limit_ms / 1000.0 / THROTTLE_LOOKS_PER_RATE_LIMIT)
    exchange.tokenBucket = {**(exchange.tokenBucket or {}), "delay": delay}
    exchange.init_throttler()  # ccxt's own: a new Throttler on the instance's (now changed) tokenBucket


@functools.cache
def _verified_context(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


def share_ssl_context(exchange: Any) -> None:
    """One TLS context per CA file for every ccxt instance of this process, as aiohttp shares its own default
    one, instead of ccxt's one per instance (made at its first request: ~15 ms of CPU each, loading the CA
    bundle). It is the context ccxt would make (``ssl.create_default_context(cafile=exchange.cafile)``). An
    instance that verifies nothing, or adds the system's certificates to its context
    (``include_OS_certificates``: ccxt then changes the context), keeps ccxt's own."""
    if exchange.verify is not True or getattr(exchange, "ssl_context", None) is not None:
        return
    if exchange.options.get("include_OS_certificates"):
        return
    exchange.ssl_context = _verified_context(exchange.cafile)


def create_exchange(account: FeedAccount, *, options: Mapping[str, Any] | None = None,
                    enable_rate_limit: bool = True) -> ReadOnlyExchange:
    """A wrapped async ccxt instance for ``account`` (its ``ccxt_id``): reads only, its requests and socket
    messages checked by the id's allowlists before they are sent, its URLs moved to the account's
    ``rest_url``/``ws_url``. ``options``: ccxt's own ``options`` for the instance. Raises
    ``UnknownCcxtExchange`` for an id ccxt does not have, ``RefusedCcxtOption`` (``check_options``), ValueError
    for an account without one."""
    if not account.ccxt_id:
        raise ValueError(f"account {account.name!r}: no ccxt_id (exchange {account.exchange!r})")
    check_options(options or {})
    cls = exchange_class(account.ccxt_id)
    exchange = cls(_config(account, options, enable_rate_limit))
    pace_throttle(exchange)
    share_ssl_context(exchange)
    # After construction (and after any sandbox switch, which replaces urls['api'] whole).
    exchange.urls["api"] = rewrite_urls(exchange.urls["api"], account.rest_url, account.ws_url)
    rest, _ = _bases(account.rest_url, account.ws_url)
    base_paths = (urlsplit(rest).path,) if rest is not None else ()
    install_request_guard(exchange, RequestGuard(account.ccxt_id, base_paths))
    install_ws_guard(exchange, WsGuard(account.ccxt_id))
    install_redirect_guard(exchange)
    return ReadOnlyExchange(exchange, account.ccxt_id, account.name)
