"""One websocket kept alive: connect, open (subscribe + resync), read, detect half-open, reconnect.

Liveness of the socket and freshness of the data are different things. This class only keeps a socket
alive: it answers server pings, sends an application ping after ``ping_interval_s`` of silence and closes a
socket that has delivered no frame at all (not even a pong) for ``idle_timeout_s``. Whether data is fresh is
the channels' business (``liqwatch.feed_channel``), checked by the adapter's supervisor, which calls
``force_reconnect`` when a channel stays silent.

``renew`` replaces a healthy socket before the exchange's scheduled close (Binance cuts every connection at
24 h) make-before-break: the new socket is opened and subscribed beside the old one, both are read for
``renew_overlap_s`` with each frame handed on once (``feeds.handover``), then the old one is closed. The
channels never see a disconnect, so they stay LIVE throughout.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from typing import Literal

import aiohttp
from aiohttp.http import WSMessageNoDecodeText

from liqwatch.clock import Clock
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.handover import Handover
from liqwatch.feeds.idle_watchdog import NOT_RECEIVING, IdleWatchdog
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.rest import AuthError, RestError
from liqwatch.feeds.ws_allowlist import check_ws_message, check_ws_text
from liqwatch.redact import redact

log = logging.getLogger(__name__)

WS = aiohttp.ClientWebSocketResponse[Literal[False]]
FrameHandler = Callable[[str, float, datetime], None]
Sleep = Callable[[float], Awaitable[None]]
#: What ``_read`` returns when its socket was replaced by a renewal: the run loop carries on with the new one.
HANDED_OVER = "handed over to the renewed socket"
#: A receive timeout this late (seconds) says the event loop was stalled (liqwatch.loop_lag).
LATE_TIMEOUT_S = 0.5
_DATA = (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY)


async def send_guarded(ws: WS, obj: object) -> None:
    """The one way anything is sent on an exchange's socket (a static test holds every adapter to it)."""
    check_ws_message(obj)
    await ws.send_json(obj)


async def send_guarded_text(ws: WS, text: str) -> None:
    """The one way a plain-text frame is sent on an exchange's socket: only the exact texts allowed."""
    check_ws_text(text)
    await ws.send_str(text)


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
        on_renew: Callable[[WS], Awaitable[None]] | None = None,
        on_retry: Callable[[float], None] | None = None,
    ) -> None:
        """``on_renew``: subscribes a renewal's new socket (None: the URL carries the subscriptions); unlike
        ``on_open`` it starts no resync, since the old socket keeps the data flowing meanwhile. ``on_retry``:
        told the monotonic time of the next connection attempt after each drop (the account detail shows it)."""
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
        self._on_retry = on_retry
        self.rejected_handshakes = 0
        self.backoff = backoff or Backoff(options.backoff_base_s, 2.0, options.backoff_cap_s)
        self._sleep = sleep
        self._ws: WS | None = None
        self._reconnect_reason: str | None = None
        self.connects = 0
        self.connect_attempts = 0
        self.delays: list[float] = []
        self.opened_at: float | None = None
        self._on_renew = on_renew
        self._renewing: asyncio.Task[None] | None = None
        self._handover: Handover | None = None
        self.renewals = 0
        self.overlap_duplicates = 0  # frames both sockets of a renewal carried, handed on once
        self.renewed_at: list[float] = []  # monotonic times the new sockets took over, newest last
        self._stamp: tuple[float, datetime] | None = None  # this wake-up's receive time (``_data``)

    @property
    def connected(self) -> bool:
        return self._ws is not None and not self._ws.closed

    async def send_json(self, obj: object) -> None:
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionError(f"{self.name}: not connected")
        await send_guarded(ws, obj)

    async def send_all(self, objs: Iterable[object]) -> None:
        """Each message in turn on the open socket, every one through the guard; ConnectionError if none."""
        ws = self._ws
        if ws is None or ws.closed:
            raise ConnectionError(f"{self.name}: not connected")
        for obj in objs:
            await send_guarded(ws, obj)

    @property
    def renewing(self) -> bool:
        return self._renewing is not None

    def renew(self, reason: str) -> bool:
        """Start a make-before-break renewal of the open socket; False if one runs already or none is open."""
        if self._renewing is not None or not self.connected:
            return False
        self._renewing = asyncio.get_running_loop().create_task(self._renew(reason), name=f"{self.name}:renew")
        return True

    async def _renew(self, reason: str) -> None:
        old = self._ws
        try:
            new = await self._connect()
            if isinstance(new, str):
                log.warning("%s: renewal (%s) could not open a socket: %s; the old one carries on",
                            self.name, reason, new)
                return
            if old is None or old is not self._ws or old.closed:
                await self._close_quietly(new)  # the old socket died meanwhile: the run loop reconnects
                return
            try:
                if self._on_renew is not None:
                    await self._on_renew(new)
            except (aiohttp.ClientError, OSError, ConnectionError) as exc:
                log.warning("%s: renewal could not subscribe: %s", self.name, redact(str(exc)))
                await self._close_quietly(new)
                return
            handover = self._handover = Handover(old, new)
            now = self._clock.monotonic()
            self._ws, self.opened_at = new, now
            self.connects += 1
            self.renewals += 1
            self.renewed_at.append(now)
            del self.renewed_at[:-100]
            log.info("%s: socket renewed make-before-break (%s)", self.name, reason)
            try:
                survived = await self._read_for(new, self._opts.renew_overlap_s)
            finally:
                self._handover = None
                self.overlap_duplicates += handover.duplicates
                handover.reading_done.set()
            if not survived:
                # The new socket failed in the overlap: back to the old one if it lives, else reconnect (and
                # a reconnect asked for meanwhile applies to the old one too).
                if self._ws is new:
                    self._ws = old if not old.closed else None
                await self._close_quietly(new)
                if self._reconnect_reason is not None:
                    self.force_reconnect(self._reconnect_reason)
                return
            await self._close_quietly(old)  # the run loop's read of it ends and carries on with the new one
        finally:
            self._renewing = None

    async def _read_for(self, ws: WS, seconds: float) -> bool:
        """Read ``ws`` for ``seconds`` (the renewal's overlap); False if it closed or failed meanwhile."""
        deadline = self._clock.monotonic() + seconds
        while (left := deadline - self._clock.monotonic()) > 0:
            try:
                msg = await ws.receive(timeout=left)
            except TimeoutError:
                return True
            if await self._handle(ws, msg) is not None:
                return False
        return True

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
            if self._on_retry is not None:
                self._on_retry(self._clock.monotonic() + delay)
            await self._sleep(delay)

    async def _connect(self) -> WS | str:
        """A new socket, or why there is none."""
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
        return ws

    async def _one_connection(self) -> str:
        self.connect_attempts += 1
        self._reconnect_reason = None
        ws = await self._connect()
        if isinstance(ws, str):
            return ws
        self._ws = ws
        self.connects += 1
        self.opened_at = self._clock.monotonic()
        try:
            await self._on_open(ws)
            reason = await self._read(ws)
            while reason == HANDED_OVER:
                # A renewal replaced the socket: read the new one once the renewal has stopped reading it.
                handover = self._handover
                if handover is not None:
                    await handover.reading_done.wait()
                current = self._ws
                if current is None or current.closed:
                    return self._reconnect_reason or "renewed socket closed"
                ws = current
                reason = await self._read(ws)
            return reason
        except (aiohttp.ClientError, OSError, ConnectionError) as exc:
            return f"connection error: {redact(str(exc)) or type(exc).__name__}"
        finally:
            renewing = self._renewing
            if renewing is not None:
                renewing.cancel()
            current, self._ws = self._ws, None
            for sock in {id(s): s for s in (ws, current) if s is not None}.values():
                if not sock.closed:
                    await self._close_quietly(sock)

    async def _read(self, ws: WS) -> str:
        # One watchdog per read (feeds.idle_watchdog), timing what the timeout did: aiohttp's wait for data.
        clock, dog = self._clock, IdleWatchdog(lambda: getattr(ws, "_waiting", True))
        try:
            last_frame, pinged = clock.monotonic(), False
            while True:
                wait = dog.wait = self._opts.ping_interval_s if not pinged else 1.0
                asked = clock.monotonic()
                dog.arm(dog.loop_time())
                try:
                    msg = await ws.receive()
                except asyncio.CancelledError:
                    if not dog.timed_out():
                        raise
                    dog.disarm()  # the next wait may be shorter than a pending timer's deadline
                    late = (now := clock.monotonic()) - asked - wait
                    if late > LATE_TIMEOUT_S:
                        # Fired late: the loop was stalled, not the socket silent (its frames are buffered).
                        last_frame += late
                        continue
                    if now - last_frame >= self._opts.idle_timeout_s:
                        return f"no frame for {now - last_frame:.0f} s (half-open connection)"
                    if not pinged or now - last_frame >= self._opts.ping_interval_s:
                        await self._ping(ws)
                        pinged = True
                    continue
                dog.since = NOT_RECEIVING
                if self._reconnect_reason is not None and msg.type in (aiohttp.WSMsgType.CLOSED,
                                                                       aiohttp.WSMsgType.CLOSING,
                                                                       aiohttp.WSMsgType.CLOSE):
                    return self._reconnect_reason
                last_frame, pinged = clock.monotonic(), False
                if msg.type in _DATA:
                    self._data(ws, msg.data)
                elif (done := await self._handle(ws, msg)) is not None:
                    # The socket a renewal replaced: closed by the renewal (or by the server, now that the new
                    # one is there): not a disconnect.
                    return HANDED_OVER if ws is not self._ws and self._ws is not None else done
        finally:
            dog.stop()

    async def _handle(self, ws: WS, msg: WSMessageNoDecodeText) -> str | None:
        """One message of ``ws``; the reason when the socket is done for, else None."""
        if msg.type in _DATA:
            self._data(ws, msg.data)
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
        return None

    def _data(self, ws: WS, data: str | bytes) -> None:
        """A data frame of ``ws`` (not awaited: the read loop's hot path calls it directly, not ``_handle``).
        Its receive time is the wake-up's: every frame handled before the reader next waits was in the
        socket's buffer when it woke, so they share one reading of the clock (taken at the first of them)."""
        if isinstance(data, bytes):
            raw = data
            try:
                data = raw.decode("utf-8")
            except UnicodeDecodeError:
                if self._on_undecodable is not None and self._admit(ws, repr(raw)):
                    self._on_undecodable(raw)
                return
        if self._admit(ws, data):
            stamp = self._stamp
            if stamp is None:
                stamp = self._stamp = (self._clock.monotonic(), self._clock.now())
                # Forgotten before the loop runs anything that could wake the reader again.
                asyncio.get_running_loop().call_soon(self._unstamp)
            self._on_frame(data, stamp[0], stamp[1])

    def _unstamp(self) -> None:
        self._stamp = None

    def _admit(self, ws: WS, frame: str) -> bool:
        """Whether a frame of ``ws`` is handed on: once, during a renewal's overlap (``Handover``); never from a
        socket already replaced, whose frames the new socket carries."""
        handover = self._handover
        if handover is not None:
            return handover.admit(ws, frame)
        return ws is self._ws

    async def _ping(self, ws: WS) -> None:
        if self._app_ping is not None:
            await self._app_ping(ws)
        else:
            await ws.ping()
