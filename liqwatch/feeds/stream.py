"""One websocket kept alive: connect, open (subscribe + resync), read, detect half-open, reconnect.

Liveness of the socket and freshness of the data are different things. This class only keeps a socket
alive: it answers server pings, sends an application ping after ``ping_interval_s`` of silence and closes a
socket that has delivered no frame at all (not even a pong) for ``idle_timeout_s``. Whether data is fresh is
the channels' business (``feeds.channel``), checked by the adapter's supervisor, which calls
``force_reconnect`` when a channel stays silent.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

import aiohttp

from liqwatch.clock import Clock
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.rest import AuthError, RestError
from liqwatch.redact import redact

log = logging.getLogger(__name__)

WS = aiohttp.ClientWebSocketResponse[Literal[False]]
FrameHandler = Callable[[str, float, datetime], None]
Sleep = Callable[[float], Awaitable[None]]


#: What a read-only monitor may send on a socket, by the message's verb (``method``, or ``op`` for the
#: exchanges that name it so): subscription management, pings and a login (which authenticates, moves
#: nothing). Anything else (Hyperliquid's ``post`` of a signed action, an ``order`` op) is never sent.
WS_ALLOWED = frozenset({
    ("method", "SUBSCRIBE"), ("method", "UNSUBSCRIBE"),  # Binance
    ("method", "subscribe"), ("method", "unsubscribe"), ("method", "ping"),  # Hyperliquid
    ("op", "subscribe"), ("op", "unsubscribe"), ("op", "ping"), ("op", "login"),  # Bybit, OKX
})


class ForbiddenMessage(RuntimeError):
    """A websocket message outside the read-only allowlist: a programming error, never sent."""


def check_ws_message(obj: object) -> None:
    verbs = [(k, obj[k]) for k in ("method", "op") if k in obj] if isinstance(obj, dict) else []
    if len(verbs) != 1 or verbs[0] not in WS_ALLOWED:
        raise ForbiddenMessage(f"websocket message {str(obj)[:80]!r} is not a subscription, a ping or a login")


async def send_guarded(ws: WS, obj: object) -> None:
    """The one way anything is sent on an exchange's socket (a static test holds every adapter to it)."""
    check_ws_message(obj)
    await ws.send_json(obj)


class StreamRunner:
    def __init__(
        self,
        name: str,
        session: aiohttp.ClientSession,
        url: Callable[[], Awaitable[str]],
        on_open: Callable[[WS], Awaitable[None]],
        on_frame: FrameHandler,
        on_down: Callable[[str], None],
        clock: Clock,
        options: FeedOptions,
        app_ping: Callable[[WS], Awaitable[None]] | None = None,
        on_undecodable: Callable[[bytes], None] | None = None,
        backoff: Backoff | None = None,
        sleep: Sleep = asyncio.sleep,
        on_rejected: Callable[[int], None] | None = None,
    ) -> None:
        self.name = name
        self._session = session
        self._url = url
        self._on_open = on_open
        self._on_frame = on_frame
        self._on_down = on_down
        self._clock = clock
        self._opts = options
        self._app_ping = app_ping
        self._on_undecodable = on_undecodable
        self._on_rejected = on_rejected
        self.rejected_handshakes = 0
        self.backoff = backoff or Backoff(options.backoff_base_s, 2.0, options.backoff_cap_s)
        self._sleep = sleep
        self._ws: WS | None = None
        self._reconnect_reason: str | None = None
        self.connects = 0
        self.connect_attempts = 0
        self.delays: list[float] = []
        self.opened_at: float | None = None

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def send_json(self, obj: object) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionError(f"{self.name}: not connected")
        await send_guarded(ws, obj)

    def force_reconnect(self, reason: str) -> None:
        """Close the socket; the run loop reconnects (after backoff) and reopens."""
        self._reconnect_reason = reason
        ws = self._ws
        if ws is not None and not ws.closed:
            # close() waits for the peer's close frame, which a half-open peer never sends: do not await it
            # here, the reader notices the closed transport at once.
            asyncio.get_running_loop().create_task(self._close_quietly(ws))

    @staticmethod
    async def _close_quietly(ws: WS) -> None:
        try:
            async with asyncio.timeout(2.0):
                await ws.close()
        except (TimeoutError, aiohttp.ClientError, OSError):
            pass

    async def run(self) -> None:
        while True:
            reason = await self._one_connection()
            self._on_down(reason)
            if self.opened_at is not None and self._clock.monotonic() - self.opened_at >= self._opts.healthy_after_s:
                self.backoff.reset()
            self.opened_at = None
            delay = self.backoff.next_delay()
            self.delays.append(delay)
            del self.delays[:-100]
            await self._sleep(delay)

    async def _one_connection(self) -> str:
        self.connect_attempts += 1
        self._reconnect_reason = None
        try:
            url = await self._url()
        except AuthError:
            raise  # wrong credentials: retrying cannot help; the adapter disables the account
        except RestError as exc:
            return f"cannot open: {exc}"  # e.g. the listen key could not be obtained: back off, retry
        try:
            async with asyncio.timeout(self._opts.connect_timeout_s):
                # decode_text=False: a text frame with invalid UTF-8 must be counted as one bad frame, not
                # close the connection (aiohttp would answer it with close code 1007).
                ws = await self._session.ws_connect(
                    url, autoping=False, heartbeat=None, max_msg_size=self._opts.max_frame_bytes, decode_text=False
                )
        except TimeoutError:
            return "connect timed out"
        except aiohttp.WSServerHandshakeError as exc:
            # The server answered the upgrade with an HTTP error: for a 4xx the URL itself (e.g. an expired
            # listen key) is refused, and retrying it as it is can never succeed.
            self.rejected_handshakes += 1
            if self._on_rejected is not None and 400 <= exc.status < 500 and exc.status not in (418, 429):
                self._on_rejected(exc.status)
            return f"handshake rejected: HTTP {exc.status}"
        except (aiohttp.ClientError, OSError) as exc:
            return f"connect failed: {redact(str(exc)) or type(exc).__name__}"
        self._ws = ws
        self.connects += 1
        self.opened_at = self._clock.monotonic()
        try:
            await self._on_open(ws)
            return await self._read(ws)
        except (aiohttp.ClientError, OSError, ConnectionError) as exc:
            return f"connection error: {redact(str(exc)) or type(exc).__name__}"
        finally:
            self._ws = None
            if not ws.closed:
                await self._close_quietly(ws)

    async def _read(self, ws: WS) -> str:
        last_frame = self._clock.monotonic()
        pinged = False
        while True:
            try:
                msg = await ws.receive(timeout=self._opts.ping_interval_s if not pinged else 1.0)
            except TimeoutError:
                now = self._clock.monotonic()
                if now - last_frame >= self._opts.idle_timeout_s:
                    return f"no frame for {now - last_frame:.0f} s (half-open connection)"
                if not pinged or now - last_frame >= self._opts.ping_interval_s:
                    await self._ping(ws)
                    pinged = True
                continue
            if self._reconnect_reason is not None and msg.type in (aiohttp.WSMsgType.CLOSED,
                                                                   aiohttp.WSMsgType.CLOSING,
                                                                   aiohttp.WSMsgType.CLOSE):
                return self._reconnect_reason
            last_frame = self._clock.monotonic()
            pinged = False
            if msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                data = msg.data
                if isinstance(data, bytes):
                    try:
                        data = data.decode("utf-8")
                    except UnicodeDecodeError:
                        if self._on_undecodable is not None:
                            self._on_undecodable(data)
                        continue
                self._on_frame(data, last_frame, self._clock.now())
            elif msg.type is aiohttp.WSMsgType.PING:
                await ws.pong(msg.data)
            elif msg.type is aiohttp.WSMsgType.PONG:
                pass  # proves the socket, not the data
            elif msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.CLOSED):
                return self._reconnect_reason or f"closed by server (code {ws.close_code})"
            elif msg.type is aiohttp.WSMsgType.ERROR:
                # aiohttp hands the error in the message (e.g. a frame over max_frame_bytes, closed with 1009).
                error = ws.exception() or msg.data
                code = f" (close code {ws.close_code})" if ws.close_code is not None else ""
                return f"socket error{code}: {redact(str(error))}"

    async def _ping(self, ws: WS) -> None:
        if self._app_ping is not None:
            await self._app_ping(ws)
        else:
            await ws.ping()
