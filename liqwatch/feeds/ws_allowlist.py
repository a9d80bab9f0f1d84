"""What a read-only monitor may send on an exchange's socket: the allowlist of messages and texts, checked on
every send (``stream.send_guarded``, ``send_guarded_text``, ccxt's guard) before anything goes out
(``liqwatch.feeds.stream`` holds the one send of each kind)."""

from __future__ import annotations

#: What a read-only monitor may send on a socket, by the message's verb (``method``, or ``op`` for the
#: exchanges that name it so): subscription management, pings and a login (which authenticates, moves
#: nothing). Anything else (Hyperliquid's ``post`` of a signed action, an ``order`` op) is never sent.
WS_ALLOWED = frozenset({
    ("method", "SUBSCRIBE"), ("method", "UNSUBSCRIBE"),  # Binance
    ("method", "subscribe"), ("method", "unsubscribe"), ("method", "ping"),  # Hyperliquid
    ("op", "subscribe"), ("op", "unsubscribe"), ("op", "ping"), ("op", "login"),  # Bybit, OKX
    ("op", "auth"),  # Bybit's private socket: authenticates with a signature, moves nothing
})


class ForbiddenMessage(RuntimeError):
    """A websocket message outside the read-only allowlist: a programming error, never sent."""


def check_ws_message(obj: object) -> None:
    verbs = [(k, obj[k]) for k in ("method", "op") if k in obj] if isinstance(obj, dict) else []
    if len(verbs) != 1 or verbs[0] not in WS_ALLOWED:
        raise ForbiddenMessage(f"websocket message {str(obj)[:80]!r} is not a subscription, a ping or a login")


#: The plain-text frames a read-only monitor may send, exactly: OKX's keepalive is the text ``ping``
#: (its server answers ``pong``; a JSON ping is an invalid request there).
WS_TEXT_ALLOWED = frozenset({"ping"})


def check_ws_text(text: object) -> None:
    if not isinstance(text, str) or text not in WS_TEXT_ALLOWED:
        raise ForbiddenMessage(f"websocket text {str(text)[:80]!r} is not an allowed keepalive")
