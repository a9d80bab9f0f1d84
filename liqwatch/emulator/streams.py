"""Websocket connections as the emulator holds them: one writer task per socket, fault-aware sending.

Frames go through a per-connection queue so that a client that stops reading cannot stall the market
publisher; the writer also owns the timers (server pings, pong deadline, idle close).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from aiohttp import WSMsgType, web

MAX_QUEUE = 10_000  # frames; past this the client is too slow and is dropped, as the exchanges do


class ConnKind(StrEnum):
    BINANCE_MARKET = "binance-market"
    BINANCE_USER = "binance-user"
    HYPERLIQUID = "hyperliquid"
    BYBIT_PUBLIC = "bybit-public"
    BYBIT_PRIVATE = "bybit-private"
    OKX_PUBLIC = "okx-public"
    OKX_PRIVATE = "okx-private"


TARGETS: dict[str, frozenset[ConnKind]] = {
    "all": frozenset(ConnKind),
    "binance": frozenset({ConnKind.BINANCE_MARKET, ConnKind.BINANCE_USER}),
    "binance-market": frozenset({ConnKind.BINANCE_MARKET}),
    "binance-user": frozenset({ConnKind.BINANCE_USER}),
    "hyperliquid": frozenset({ConnKind.HYPERLIQUID}),
    "bybit": frozenset({ConnKind.BYBIT_PUBLIC, ConnKind.BYBIT_PRIVATE}),
    "bybit-public": frozenset({ConnKind.BYBIT_PUBLIC}),
    "bybit-private": frozenset({ConnKind.BYBIT_PRIVATE}),
    "okx": frozenset({ConnKind.OKX_PUBLIC, ConnKind.OKX_PRIVATE}),
    "okx-public": frozenset({ConnKind.OKX_PUBLIC}),
    "okx-private": frozenset({ConnKind.OKX_PRIVATE}),
}


def target_kinds(target: str) -> frozenset[ConnKind]:
    try:
        return TARGETS[target]
    except KeyError:
        raise ValueError(f"unknown target {target!r}; one of {', '.join(TARGETS)}") from None


@dataclass(frozen=True, slots=True)
class _Frame:
    payload: bytes
    opcode: WSMsgType


@dataclass(slots=True)
class StreamFlags:
    """Faults that shape how new subscriptions behave (shared by every stream handler)."""

    silent_subscriptions: set[ConnKind]


_ids = itertools.count(1)


class StreamConn:
    """One accepted websocket; faults flip its flags, the writer obeys them."""

    def __init__(
        self,
        kind: ConnKind,
        ws: web.WebSocketResponse,
        request: web.Request,
        *,
        ping_interval: float | None = None,
        pong_timeout: float | None = None,
        idle_timeout: float | None = None,
    ) -> None:
        self.id = next(_ids)
        self.kind = kind
        self.ws = ws
        self.request = request
        self.ping_interval = ping_interval
        self.pong_timeout = pong_timeout
        self.idle_timeout = idle_timeout
        self.half_open = False
        self.data_stopped = False
        self.duplicate = 0  # next N data frames go out twice
        self.reorder = 0  # next N pairs of data frames go out swapped
        self._held: bytes | None = None
        self._queue: asyncio.Queue[_Frame | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()
        self.last_sent = loop.time()
        self.last_pong = loop.time()
        self.last_ping_at = loop.time()
        self.frames_sent = 0
        self.pings_sent = 0
        self.recent: deque[bytes] = deque(maxlen=16)  # last data frames, for stale replays
        self.close_reason: str | None = None
        self._writer: asyncio.Task[None] | None = None
        self._close_requested = asyncio.Event()
        self._close_args: tuple[int, str] = (1001, "")
        self.closed = asyncio.Event()

    # --- enqueueing -------------------------------------------------------------------------------
    def _put(self, frame: _Frame) -> None:
        if self._queue.qsize() >= MAX_QUEUE:
            self.close_reason = "slow consumer"
            self._queue.put_nowait(None)
            return
        self._queue.put_nowait(frame)

    def send_control(self, text: str) -> None:
        """Acks, pongs, errors: suppressed only when the socket is half-open."""
        if self.half_open or self.ws.closed:
            return
        self._put(_Frame(text.encode(), WSMsgType.TEXT))

    def send_data(self, text: str | bytes) -> None:
        """Market or account data: obeys data-stop, duplicate and reorder faults."""
        if self.half_open or self.data_stopped or self.ws.closed:
            return
        payload = text.encode() if isinstance(text, str) else text
        self.recent.append(payload)
        if self.reorder > 0:
            if self._held is None:
                self._held = payload
                return
            held, self._held = self._held, None
            self.reorder -= 1
            self._put(_Frame(payload, WSMsgType.TEXT))
            self._put(_Frame(held, WSMsgType.TEXT))
            return
        self._put(_Frame(payload, WSMsgType.TEXT))
        if self.duplicate > 0:
            self.duplicate -= 1
            self._put(_Frame(payload, WSMsgType.TEXT))

    def send_raw(self, payload: bytes, opcode: WSMsgType = WSMsgType.TEXT) -> None:
        """Bytes exactly as given (malformed frames); not subject to data faults."""
        if self.half_open or self.ws.closed:
            return
        self._put(_Frame(payload, opcode))

    def replay_stale(self) -> bool:
        """Send an older data frame again, after newer ones: an out-of-order event."""
        if len(self.recent) < 2:
            return False
        self.send_raw(self.recent[0])
        return True

    # --- lifecycle --------------------------------------------------------------------------------
    async def serve(self, on_text: Callable[[str], None]) -> None:
        """Run the socket until it closes: answer pings, hand text frames to ``on_text``.

        The close handshake is done here, in the request's own task, whoever asked for it: aiohttp
        cuts the TCP connection without waiting for the client's close frame when another task closes.
        """
        ws = self.ws
        self._writer = asyncio.get_running_loop().create_task(self._write_loop(), name=f"emu-ws-{self.id}")
        try:
            while not ws.closed:
                receiving = asyncio.ensure_future(ws.receive())
                closing = asyncio.ensure_future(self._close_requested.wait())
                done, _ = await asyncio.wait({receiving, closing}, return_when=asyncio.FIRST_COMPLETED)
                if receiving not in done:
                    receiving.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await receiving
                    code, message = self._close_args
                    with contextlib.suppress(Exception):
                        await ws.close(code=code, message=message.encode())
                    break
                closing.cancel()
                msg = receiving.result()
                if msg.type is WSMsgType.TEXT:
                    on_text(msg.data)
                elif msg.type is WSMsgType.PING:
                    if not self.half_open:
                        await ws.pong(msg.data)
                elif msg.type is WSMsgType.PONG:
                    self.pong_received()
                elif msg.type in (WSMsgType.CLOSE, WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                    break
        finally:
            self._writer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._writer
            self.closed.set()

    def request_close(self, code: int = 1001, message: str = "") -> None:
        """Ask the serving task to close with ``code``; returns at once."""
        if self._close_requested.is_set():
            return
        self.close_reason = message or f"closed {code}"
        self._close_args = (code, message)
        self._close_requested.set()

    async def close(self, code: int = 1001, message: str = "", within: float = 3.0) -> None:
        """Close with ``code`` and wait (at most ``within`` seconds) until the socket is done."""
        self.request_close(code, message)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.closed.wait(), within)

    def abort(self) -> None:
        """Reset the TCP connection without a close frame."""
        self.close_reason = "reset"
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def drained(self) -> None:
        """Until everything queued so far has been handed to the socket."""
        await self._queue.join()

    def pong_received(self) -> None:
        self.last_pong = asyncio.get_running_loop().time()

    def _timeout(self, now: float) -> float | None:
        deadlines: list[float] = []
        if self.ping_interval is not None:
            deadlines.append(self.last_ping_at + self.ping_interval)
        if self.pong_timeout is not None and self.ping_interval is not None:
            deadlines.append(self.last_pong + self.pong_timeout)
        if self.idle_timeout is not None:
            deadlines.append(self.last_sent + self.idle_timeout)
        if not deadlines:
            return None
        return max(0.0, min(deadlines) - now)

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        self.last_ping_at = loop.time()
        ws = self.ws
        while not ws.closed:
            try:
                frame = await asyncio.wait_for(self._queue.get(), self._timeout(loop.time()))
            except TimeoutError:
                if not await self._on_timer(loop.time()):
                    return
                continue
            try:
                if frame is None:
                    self.request_close(1008, self.close_reason or "slow consumer")
                    return
                if self.half_open:
                    continue
                try:
                    await ws.send_frame(frame.payload, frame.opcode)
                except (ConnectionError, RuntimeError):
                    return
                self.last_sent = loop.time()
                self.frames_sent += 1
            finally:
                # After the write, so that flush() means "on the socket", not "taken off the queue".
                self._queue.task_done()

    async def _on_timer(self, now: float) -> bool:
        """Idle close, pong deadline, server ping; False when the socket is done for."""
        if self.half_open:
            # A half-open server is frozen: it neither pings nor notices anything.
            self.last_ping_at = self.last_sent = self.last_pong = now
            return True
        if self.idle_timeout is not None and now - self.last_sent >= self.idle_timeout:
            self.request_close(1000, "idle")
            return False
        if (
            self.pong_timeout is not None
            and self.ping_interval is not None
            and now - self.last_pong >= self.pong_timeout
        ):
            self.request_close(1008, "no pong")
            return False
        if self.ping_interval is not None and now - self.last_ping_at >= self.ping_interval:
            self.last_ping_at = now
            try:
                await self.ws.ping()
            except (ConnectionError, RuntimeError):
                return False
            self.pings_sent += 1
        return True


class Hub:
    """The registry of open sockets, so that publishers and faults can reach them."""

    def __init__(self, lifetime: float | None = None) -> None:
        self.conns: set[StreamConn] = set()
        self.accepted: dict[ConnKind, int] = dict.fromkeys(ConnKind, 0)
        #: Seconds after which the server closes a socket with 1000, as Binance does at 24 h (None: never).
        self.lifetime = lifetime
        self.lifetime_closes = 0
        self._expiries: dict[int, asyncio.TimerHandle] = {}

    def add(self, conn: StreamConn) -> None:
        self.conns.add(conn)
        self.accepted[conn.kind] += 1
        if self.lifetime is not None:
            self._expiries[conn.id] = asyncio.get_running_loop().call_later(self.lifetime, self._expire, conn)

    def _expire(self, conn: StreamConn) -> None:
        self._expiries.pop(conn.id, None)
        if not conn.ws.closed and not conn.closed.is_set():
            self.lifetime_closes += 1
            conn.request_close(1000, "connection lifetime reached")

    def discard(self, conn: StreamConn) -> None:
        self.conns.discard(conn)
        handle = self._expiries.pop(conn.id, None)
        if handle is not None:
            handle.cancel()

    def of(self, kinds: frozenset[ConnKind]) -> list[StreamConn]:
        return sorted((c for c in self.conns if c.kind in kinds and not c.ws.closed), key=lambda c: c.id)

    async def close_all(self) -> None:
        conns = list(self.conns)
        for conn in conns:
            conn.request_close(1001, "server shutdown")
        for conn in conns:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(conn.closed.wait(), 3.0)
        self.conns.clear()
