"""Read-only by construction for a ccxt instance: two locks, either of which alone refuses a write.

1. ``ReadOnlyExchange`` wraps the instance and lets through only the unified read methods
   (``liqwatch.feeds.ccxt_allowlist.READ_METHODS``) and a few plain attributes: ``create_order``,
   ``set_leverage``, ``withdraw``, an implicit API method, any other name, is refused before ccxt sees it.
2. ``install_request_guard`` replaces the instance's own ``fetch`` (the coroutine every ccxt REST request
   ends in: ``request`` -> ``fetch2`` -> ``sign`` -> ``fetch(url, method, headers, body)``) with one that
   checks the (method, path) against the id's allowlist first, so a write that got past the wrapper (an
   implicit method called on the raw instance, a read method that does more than read) is refused before
   anything is sent, as the native adapters' ``request_json`` does.

Nothing here imports ccxt: the instance is given (``liqwatch.feeds.ccxt_instance`` makes it).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import unquote, urlsplit

from liqwatch.feeds.ccxt_allowlist import (
    DEFAULT_POST_READS,
    DEFAULT_REFUSED_WORDS,
    EXACT_REQUESTS,
    KEY_PERMISSION_METHODS,
    READ_ATTRIBUTES,
    READ_METHODS,
)
from liqwatch.feeds.rest import ForbiddenEndpoint, ReadOnlyGuard
from liqwatch.redact import redact

__all__ = ["ForbiddenMethod", "ReadOnlyExchange", "RequestGuard", "install_request_guard"]


class ForbiddenMethod(ForbiddenEndpoint):
    """A ccxt method outside the read list: refused before ccxt runs it (a programming error, never sent)."""


class RequestGuard:
    """The (method, path) check for one ccxt id. ``base_paths``: the path prefixes of the configured
    ``rest_url`` (a proxy at ``http://host/binance``), taken off before the allowlist is applied.

    An id with an exact list (``EXACT_REQUESTS``) allows only those pairs, matched exactly (the native
    ``ReadOnlyGuard``). Any other id: GET, and POST only to the paths ``DEFAULT_POST_READS`` lists for it;
    a path naming a withdrawal or a transfer is refused even as a GET."""

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
        decoded = unquote(path).lower()
        hit = next((w for w in DEFAULT_REFUSED_WORDS if w in decoded), None)
        if hit is not None:
            raise ForbiddenEndpoint(f"ccxt {self.ccxt_id}: {verb} {redact(path)} names a {hit}; refused before "
                                    "sending")
        if verb == "GET" or (verb == "POST" and path in self.post_reads):
            return
        raise ForbiddenEndpoint(f"ccxt {self.ccxt_id}: {verb} {redact(path)} refused before sending: liqwatch "
                                f"has no list of {self.ccxt_id}'s reads, and outside one only GET is sent")


def install_request_guard(exchange: Any, guard: RequestGuard) -> None:
    """Make ``guard`` the first thing every HTTP request of ``exchange`` passes: its ``fetch`` replaced on the
    instance (ccxt calls ``self.fetch``, so the instance attribute is what every read and every implicit
    method reaches)."""
    inner: Callable[..., Awaitable[Any]] = exchange.fetch

    async def guarded_fetch(url: str, method: str = "GET", headers: Any = None, body: Any = None) -> Any:
        guard.check(method, url)
        return await inner(url, method, headers, body)

    exchange.fetch = guarded_fetch


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
