"""Read-only by construction for a ccxt instance: locks on every way out, any one of which refuses a write.

1. ``ReadOnlyExchange`` wraps the instance and lets through only the unified read methods
   (``liqwatch.feeds.ccxt_allowlist.READ_METHODS``) and a few plain attributes: ``create_order``,
   ``set_leverage``, ``withdraw``, an implicit API method, any other name, is refused before ccxt sees it.
2. ``install_request_guard`` replaces the instance's own ``fetch`` (the coroutine every ccxt REST request
   ends in: ``request`` -> ``fetch2`` -> ``sign`` -> ``fetch(url, method, headers, body)``) with one that
   checks the (method, path) against the id's allowlist first, so a write that got past the wrapper (an
   implicit method called on the raw instance, a read method that does more than read) is refused before
   anything is sent, as the native adapters' ``request_json`` does.
3. ``install_ws_guard`` (ccxt.pro instances) does the same for what its sockets send (``WsGuard``), twice:
   in the instance's ``watch`` / ``watch_multiple``, which every ccxt.pro method sends its subscription, login
   or request through (an order over a socket, Binance's WS-API ``order.place``, is refused before the socket
   is even dialled), and in the ``send`` of every socket client the instance makes (``client(url)``), the one
   place a frame leaves ccxt: pings, and the few exchanges that send outside ``watch``, pass it too.
4. ``install_redirect_guard``: ccxt's aiohttp call follows redirects, and lock 2 saw only the first URL; a
   307 would re-send the request, key headers and all, to a path or host never checked. The instance's
   session refuses every redirect instead (``RedirectRefused``), as the native ``request_json`` does.

Nothing here imports ccxt: the instance is given (``liqwatch.feeds.ccxt_instance`` makes it).
"""

from __future__ import annotations

import contextlib
import inspect
import re
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any
from urllib.parse import unquote, urlsplit

import aiohttp

from liqwatch.feeds.ccxt_allowlist import (
    DEFAULT_POST_READS,
    DEFAULT_REFUSED_VERBS,
    DEFAULT_REFUSED_WORDS,
    DEFAULT_REFUSED_WS_WORDS,
    EXACT_REQUESTS,
    KEY_PERMISSION_METHODS,
    READ_ATTRIBUTES,
    READ_METHODS,
)
from liqwatch.feeds.rest import ForbiddenEndpoint, ReadOnlyGuard
from liqwatch.feeds.rest_errors import redirect_refused_text
from liqwatch.feeds.ws_allowlist import ForbiddenMessage, check_ws_message, check_ws_text
from liqwatch.redact import redact

__all__ = ["ForbiddenMethod", "ReadOnlyExchange", "RedirectRefused", "RequestGuard", "WsGuard",
           "install_redirect_guard", "install_request_guard", "install_ws_guard"]


class ForbiddenMethod(ForbiddenEndpoint, AttributeError):
    """A ccxt method outside the read list: refused before ccxt runs it (a programming error, never sent).
    Also an AttributeError: to ``hasattr`` or ``getattr(ex, name, None)`` the wrapper has no such member."""


class RequestGuard:
    """The (method, path) check for one ccxt id. ``base_paths``: the path prefixes of the configured
    ``rest_url`` (a proxy at ``http://host/binance``), taken off before the allowlist is applied.

    An id with an exact list (``EXACT_REQUESTS``) allows only those pairs, matched exactly (the native
    ``ReadOnlyGuard``). Any other id: GET, and POST only to the paths ``DEFAULT_POST_READS`` lists for it;
    a path naming a write (an order, a withdrawal, ``buy``, ``set_...``: ``DEFAULT_REFUSED_WORDS`` and
    ``_VERBS``) is refused even as a GET, since some exchanges write with GET."""

    def __init__(self, ccxt_id: str, base_paths: tuple[str, ...] = ()) -> None:
        self.ccxt_id = ccxt_id
        exact = EXACT_REQUESTS.get(ccxt_id)
        self.exact = ReadOnlyGuard(f"ccxt {ccxt_id}", exact) if exact is not None else None
        self.post_reads = DEFAULT_POST_READS.get(ccxt_id, frozenset())
        # Longest first: a prefix that is the start of another must not be taken off in its place.
        self.base_paths = tuple(sorted({p.rstrip("/") for p in base_paths if p.strip("/")}, key=len, reverse=True))

    def relative_path(self, url: str) -> str:
        path = urlsplit(url).path or "/"
        for prefix in self.base_paths:
            if path.startswith(prefix + "/"):
                return path[len(prefix):]
        return path

    def check(self, method: str, url: str) -> None:
        """Raise ``ForbiddenEndpoint`` for a request that is not a listed read. Never shows the query (it may
        hold a signature) and redacts the path (a listen key may be part of it)."""
        verb = method.upper()
        path = self.relative_path(url)
        if self.exact is not None:
            try:
                self.exact.check(verb, path)
            except ForbiddenEndpoint:
                raise ForbiddenEndpoint(f"ccxt {self.ccxt_id}: {verb} {redact(path)} is not one of the requests "
                                        "its reads make; refused before sending") from None
            return
        hit = _write_word(unquote(path))
        if hit is not None:
            raise ForbiddenEndpoint(f"ccxt {self.ccxt_id}: {verb} {redact(path)} names {hit!r}, a write; refused "
                                    "before sending")
        if verb == "GET" or (verb == "POST" and path in self.post_reads):
            return
        raise ForbiddenEndpoint(f"ccxt {self.ccxt_id}: {verb} {redact(path)} refused before sending: liqwatch "
                                f"has no list of {self.ccxt_id}'s reads, and outside one only GET is sent")


#: The words of a path: split at separators and at camelCase humps (``privateSetLeverage`` -> private, set, ...).
_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z0-9]+")


def _write_word(path: str) -> str | None:
    """The write word ``path`` holds (``DEFAULT_REFUSED_WORDS`` anywhere, a word starting with one of
    ``DEFAULT_REFUSED_VERBS``), or None."""
    lowered = path.lower()
    hit = next((w for w in DEFAULT_REFUSED_WORDS if w in lowered), None)
    if hit is not None:
        return hit
    words = [w.lower() for w in _WORDS.findall(path)]
    return next((v for w in words for v in DEFAULT_REFUSED_VERBS if w.startswith(v)), None)


def install_request_guard(exchange: Any, guard: RequestGuard) -> None:
    """Make ``guard`` the first thing every HTTP request of ``exchange`` passes: its ``fetch`` replaced on the
    instance (ccxt calls ``self.fetch``, so the instance attribute is what every read and every implicit
    method reaches)."""
    inner: Callable[..., Awaitable[Any]] = exchange.fetch

    async def guarded_fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        guard.check(method, url)
        return await inner(url, method, headers, body)

    exchange.fetch = guarded_fetch


class WsGuard:
    """What a ccxt.pro instance may send on a socket. The ids of ``EXACT_REQUESTS`` (whose messages were seen):
    exactly what the native adapters may send (``ws_allowlist.check_ws_message``: subscriptions, pings, a login).
    Any other id, whose message shapes vary: no message naming an order, a cancel, a withdrawal, a transfer
    or a leverage anywhere in it (keys or values)."""

    def __init__(self, ccxt_id: str) -> None:
        self.ccxt_id = ccxt_id
        self.exact = ccxt_id in EXACT_REQUESTS

    def check(self, message: object) -> None:
        if self.exact:
            try:
                if isinstance(message, str):
                    check_ws_text(message)  # OKX's keepalive: the text ``ping``, exactly
                else:
                    check_ws_message(message)
            except ForbiddenMessage:
                raise ForbiddenMessage(f"ccxt {self.ccxt_id}: websocket message {_verb(message)} is not a "
                                       "subscription, a ping or a login; refused before sending") from None
            return
        hit = next((w for w in DEFAULT_REFUSED_WS_WORDS for text in _texts(message) if w in text.lower()), None)
        if hit is not None:
            raise ForbiddenMessage(f"ccxt {self.ccxt_id}: websocket message {_verb(message)} names {hit!r}; refused "
                                   "before sending")


def _verb(message: object) -> str:
    """What names the message, for an error (never the whole message: a login carries a signature)."""
    if isinstance(message, dict):
        named = {k: message[k] for k in ("method", "op", "event", "type", "action") if k in message}
        return redact(repr(named))[:80] if named else "without a method or op"
    return type(message).__name__


def _texts(value: object) -> list[str]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in (*_texts(k), *_texts(v))]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) else []


def install_ws_guard(exchange: Any, guard: WsGuard) -> None:
    """Check every message ``exchange``'s ``watch`` / ``watch_multiple`` would send (a ccxt.pro instance;
    an async_support one has neither, and no socket), raised synchronously, before the socket is dialled; and
    every frame its socket clients send."""
    if not callable(getattr(exchange, "watch", None)):
        return
    watch: Callable[..., Any] = exchange.watch
    watch_multiple: Callable[..., Any] = exchange.watch_multiple

    def guarded_watch(url: str, message_hash: Any, message: Any = None, subscribe_hash: Any = None,
                      subscription: Any = None) -> Any:
        if message is not None:
            guard.check(message)
        return watch(url, message_hash, message, subscribe_hash, subscription)

    def guarded_watch_multiple(url: str, message_hashes: Any, message: Any = None, subscribe_hashes: Any = None,
                               subscription: Any = None) -> Any:
        if message is not None:
            guard.check(message)
        return watch_multiple(url, message_hashes, message, subscribe_hashes, subscription)

    exchange.watch = guarded_watch
    exchange.watch_multiple = guarded_watch_multiple
    client_of: Callable[[str], Any] = exchange.client

    def guarded_client(url: str) -> Any:
        client = client_of(url)  # ccxt's, cached per URL: its send is guarded once, when it is first made
        if not getattr(client, _GUARDED, False):
            send: Callable[[Any], Awaitable[Any]] = client.send

            async def guarded_send(message: Any) -> Any:
                guard.check(message)
                return await send(message)

            client.send = guarded_send
            setattr(client, _GUARDED, True)
        return client

    exchange.client = guarded_client


#: Marks a ccxt socket client whose ``send`` is guarded already.
_GUARDED = "_liqwatch_send_guarded"


class RedirectRefused(ForbiddenEndpoint):
    """An exchange (or the proxy at ``rest_url``) answered with a redirect: not followed (check the URL)."""


_REDIRECTS = frozenset({301, 302, 303, 307, 308})


async def _refuse_redirect(request: aiohttp.ClientRequest,
                           handler: aiohttp.ClientHandlerType) -> aiohttp.ClientResponse:
    """A session middleware (aiohttp runs it for each hop, before it follows a redirect)."""
    response = await handler(request)
    if response.status in _REDIRECTS:
        where = redact(str(request.url).split("?", 1)[0])
        text = redirect_refused_text(f"{request.method} {where}", response.status, response.headers)
        response.release()
        raise RedirectRefused(text)
    return response


def install_redirect_guard(exchange: Any) -> None:
    """Make the session ccxt opens for ``exchange`` (lazily, in ``open``) refuse redirects. ccxt gives no way to
    pass ``allow_redirects``, so the middleware is added to the session it made (aiohttp reads its
    ``_middlewares`` on every request); an aiohttp without that attribute is refused outright rather than
    left unguarded."""
    inner_open: Callable[..., None] = exchange.open

    def guarded_open(lazy: bool = False) -> None:
        inner_open(lazy)
        session = exchange.session
        if session is None:
            return
        middlewares = getattr(session, "_middlewares", None)
        if middlewares is None:
            raise RuntimeError("this aiohttp has no session middlewares: ccxt's redirects cannot be refused")
        if _refuse_redirect not in middlewares:
            session._middlewares = (*middlewares, _refuse_redirect)

    exchange.open = guarded_open


def _redacted(exc: BaseException) -> BaseException | None:
    """``exc`` again with its text redacted, or None when its text holds nothing to hide."""
    text = str(exc)
    clean = redact(text)
    if clean == text:
        return None
    try:
        copy = type(exc)(clean)
    except Exception:  # an exception type that takes other arguments: the text matters, not the type
        copy = RuntimeError(f"{type(exc).__name__}: {clean}")
    return copy


class ReadOnlyExchange:
    """A ccxt instance seen through its read methods only; its repr and the errors raised through it show
    no credential (every text passes ``redact``, which knows the account's secrets once they are
    registered, as ``ccxt_instance.create_exchange`` does)."""

    __slots__ = ("_allowed", "_exchange", "account", "ccxt_id")

    def __init__(self, exchange: Any, ccxt_id: str, account: str) -> None:
        allowed = set(READ_METHODS)
        if ccxt_id in KEY_PERMISSION_METHODS:
            allowed.add(KEY_PERMISSION_METHODS[ccxt_id])
        object.__setattr__(self, "_exchange", exchange)
        object.__setattr__(self, "_allowed", frozenset(allowed))
        object.__setattr__(self, "account", account)
        object.__setattr__(self, "ccxt_id", ccxt_id)

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not on the wrapper itself: every ccxt member goes through here.
        if name in self._allowed:
            return self._call(name)
        if name in READ_ATTRIBUTES:
            return getattr(self._exchange, name)
        raise ForbiddenMethod(f"ccxt {self.ccxt_id} ({self.account}): {name} is not a read method; liqwatch only "
                              "reads, and refuses it before ccxt runs it")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"ReadOnlyExchange is read-only: {name} cannot be set")

    def __repr__(self) -> str:
        return f"ReadOnlyExchange({self.ccxt_id!r}, account={self.account!r})"

    def detach_sockets(self) -> Callable[[], Coroutine[Any, Any, None]]:
        """Forget every websocket of the instance at once, so that the next watch call dials anew (a socket
        found silent or half-open is never read again: ccxt reuses a client it still holds), and return what
        closes them (run it after: only these, never one a later call opened)."""
        clients = getattr(self._exchange, "clients", None)
        detached = list(clients.values()) if isinstance(clients, dict) else []
        if isinstance(clients, dict):
            clients.clear()

        async def close() -> None:
            for client in detached:
                with contextlib.suppress(Exception):
                    await client.close()

        return close

    __str__ = __repr__

    def _call(self, name: str) -> Callable[..., Awaitable[Any]]:
        method = getattr(self._exchange, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            try:
                result = method(*args, **kwargs)
                return await result if inspect.isawaitable(result) else result
            except Exception as exc:
                clean = _redacted(exc)
                if clean is None:
                    raise
                raise clean from None

        call.__name__ = name
        return call
