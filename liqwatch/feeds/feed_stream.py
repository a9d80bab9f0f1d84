"""What an adapter's base needs of a stream, whatever carries it: a raw websocket (``StreamRunner``) or a
loop of watch calls (``WatchLoopStream``, the shape of ccxt's ``watch_*``). The adapter runs each, asks
whether it is connected, forces a reconnect of one whose channel stays silent, and renews one before the
exchange's scheduled close."""

from __future__ import annotations

from typing import Protocol, runtime_checkable


@runtime_checkable
class FeedStream(Protocol):
    name: str
    #: Monotonic time the current connection opened; None while there is none.
    opened_at: float | None
    #: Connections opened so far (a renewal's included).
    connects: int

    @property
    def connected(self) -> bool:
        """A connection is open (data may still be stale: that is the channels' business)."""
        ...

    @property
    def renewing(self) -> bool:
        """A make-before-break renewal is under way."""
        ...

    async def run(self) -> None:
        """Connect, open, read, reconnect with backoff: until cancelled. Raises AuthError when the
        credentials are refused (retrying cannot help); never returns otherwise."""
        ...

    def force_reconnect(self, reason: str) -> None:
        """Drop the connection; ``run`` reconnects (after backoff) and reopens (with a REST resync)."""
        ...

    def renew(self, reason: str) -> bool:
        """Replace a healthy connection before the exchange closes it; False when none is open, one is
        under way, or the stream cannot (then the exchange's close is an ordinary reconnect)."""
        ...
