"""Fault injection: what goes wrong with exchanges in practice, on demand, visible on the wire.

Socket faults act on the connections open now (so that a client's reconnect can recover), except
``ack_without_data``, which shapes new subscriptions until cleared. REST faults apply to the next
requests of an exchange, by count or for a time. The same controls are reachable over HTTP under
``/_emulator/faults`` (see ``control``).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import WSMsgType, web

from liqwatch.emulator.binance_auth import ListenKeys
from liqwatch.emulator.binance_ws import BinanceStreams
from liqwatch.emulator.position_faults import PositionFaults
from liqwatch.emulator.rest_fault_shapes import EXCHANGES, RestRule, exchange_of, rest_error_response
from liqwatch.emulator.streams import ConnKind, Hub, StreamFlags, target_kinds

MALFORMED_KINDS = ("truncated", "invalid_utf8", "nan", "not_json", "binary")


class Faults:
    def __init__(
        self,
        hub: Hub,
        flags: StreamFlags,
        listen_keys: ListenKeys,
        binance: BinanceStreams,
        *,
        now_ms: Callable[[], int],
        stop_listening: Callable[[], Awaitable[None]],
        start_listening: Callable[[], Awaitable[None]],
        position_faults: PositionFaults | None = None,
    ) -> None:
        self.position_faults = position_faults or PositionFaults()
        self._hub = hub
        self._flags = flags
        self._listen_keys = listen_keys
        self._binance = binance
        self._now_ms = now_ms
        self._stop_listening = stop_listening
        self._start_listening = start_listening
        self._errors: list[RestRule] = []
        self._slow: list[RestRule] = []
        self._refusing: asyncio.TimerHandle | None = None
        self._restore_task: asyncio.Task[None] | None = None
        self.refused_until: float | None = None
        self.log: list[dict[str, Any]] = []

    # --- helpers ----------------------------------------------------------------------------------------
    def _conns(self, target: str) -> list[Any]:
        return self._hub.of(target_kinds(target))

    def _record(self, name: str, **details: Any) -> None:
        self.log.append({"fault": name, **details})

    @staticmethod
    def _loop_time() -> float:
        return asyncio.get_running_loop().time()

    # --- websocket faults -------------------------------------------------------------------------------
    async def drop(self, target: str = "all", *, reset: bool = False, code: int = 1001) -> int:
        """Drop open connections: a close frame with ``code``, or a TCP reset when ``reset``."""
        conns = self._conns(target)
        for conn in conns:
            if reset:
                conn.abort()
            else:
                conn.request_close(code, "dropped by fault control")
        if not reset:
            # A reading client answers the close frame at once; do not hang on one that is not reading.
            await asyncio.gather(*(conn.close(code, within=0.5) for conn in conns))
        self._record("drop", target=target, reset=reset, affected=len(conns))
        return len(conns)

    def half_open(self, target: str = "all") -> int:
        """Keep the sockets but send nothing at all: no data, no pongs, no pings."""
        conns = self._conns(target)
        for conn in conns:
            conn.half_open = True
        self._record("half_open", target=target, affected=len(conns))
        return len(conns)

    def stop_data(self, target: str = "all") -> int:
        """Keep answering pings but send no more data on the sockets open now."""
        conns = self._conns(target)
        for conn in conns:
            conn.data_stopped = True
        self._record("stop_data", target=target, affected=len(conns))
        return len(conns)

    def ack_without_data(self, target: str = "all", on: bool = True) -> None:
        """From now on, acknowledge subscriptions and never feed them (Binance's retired URLs did this)."""
        kinds = target_kinds(target)
        if on:
            self._flags.silent_subscriptions |= set(kinds)
        else:
            self._flags.silent_subscriptions -= set(kinds)
        self._record("ack_without_data", target=target, on=on)

    def malformed(self, target: str = "all", kind: str = "truncated") -> int:
        if kind not in MALFORMED_KINDS:
            raise ValueError(f"kind must be one of {', '.join(MALFORMED_KINDS)}")
        conns = self._conns(target)
        for conn in conns:
            if kind == "truncated":
                whole = self._sample(conn.kind, b'"60000.00000000"')
                conn.send_raw(whole[: len(whole) // 2])
            elif kind == "invalid_utf8":
                conn.send_raw(b'{"e":"\xff\xfe\xfd","E":1}')
            elif kind == "nan":
                conn.send_raw(self._sample(conn.kind, b"NaN"))
            elif kind == "not_json":
                conn.send_raw(b"<html><body><h1>502 Bad Gateway</h1></body></html>")
            else:
                conn.send_raw(b"\x00\x01\x02\x03", WSMsgType.BINARY)
        self._record("malformed", target=target, kind=kind, affected=len(conns))
        return len(conns)

    def _sample(self, kind: ConnKind, number: bytes) -> bytes:
        """A frame of the socket's own kind whose price field is ``number`` (a JSON string, or NaN)."""
        now = str(self._now_ms()).encode()
        if kind is ConnKind.HYPERLIQUID:
            return b'{"channel":"activeAssetCtx","data":{"coin":"BTC","ctx":{"markPx":' + number + b"}}}"
        if kind is ConnKind.BINANCE_USER:
            return (
                b'{"e":"ACCOUNT_UPDATE","E":' + now + b',"T":' + now
                + b',"a":{"m":"ORDER","B":[{"a":"USDT","wb":' + number + b',"cw":"0","bc":"0"}],"P":[]}}'
            )  # fmt: skip
        return b'{"e":"markPriceUpdate","E":' + now + b',"s":"BTCUSDT","p":' + number + b',"r":"0.00010000"}'

    def unknown_event(self, target: str = "all") -> int:
        """An event type no client knows yet (exchanges add them without notice)."""
        conns = self._conns(target)
        now = self._now_ms()
        for conn in conns:
            if conn.kind is ConnKind.HYPERLIQUID:
                conn.send_raw(orjson.dumps({"channel": "unknownChannel", "data": {"time": now}}))
            else:
                conn.send_raw(orjson.dumps({"e": "futuresUnknownEvent", "E": now, "x": "1"}))
        self._record("unknown_event", target=target, affected=len(conns))
        return len(conns)

    def duplicate(self, target: str = "all", count: int = 1) -> int:
        """The next ``count`` data frames of each socket go out twice."""
        conns = self._conns(target)
        for conn in conns:
            conn.duplicate += count
        self._record("duplicate", target=target, count=count, affected=len(conns))
        return len(conns)

    def reorder(self, target: str = "all", count: int = 1) -> int:
        """The next ``count`` pairs of data frames of each socket go out swapped (older after newer)."""
        conns = self._conns(target)
        for conn in conns:
            conn.reorder += count
        self._record("reorder", target=target, count=count, affected=len(conns))
        return len(conns)

    def replay_stale(self, target: str = "all") -> int:
        """Send an old data frame again, after newer ones."""
        conns = [c for c in self._conns(target) if c.replay_stale()]
        self._record("replay_stale", target=target, affected=len(conns))
        return len(conns)

    def expire_listen_key(self, account: str | None = None) -> int:
        """Expire Binance listenKeys now and push ``listenKeyExpired``; returns the sockets told."""
        expired = self._listen_keys.expire(account)
        sent = self._binance.announce_expired([(lk.key, lk.account) for lk in expired])
        self._record("expire_listen_key", account=account, keys=len(expired), affected=sent)
        return sent

    def expire_listen_key_while_down(self, account: str | None = None) -> int:
        """Reset the user sockets and expire their keys, no ``listenKeyExpired`` (no socket to carry it): the
        next handshake on the old key is refused, HTTP 400 -1125, as Binance does. Returns the keys expired."""
        expired = self._listen_keys.expire(account)
        keys = {lk.key for lk in expired}
        self._binance.drop_user_keys(keys)
        self._record("expire_listen_key_while_down", account=account, keys=len(expired))
        return len(expired)

    def bad_position(self, kind: str, symbol: str, *, exchange: str = "binance", on: bool = True) -> int:
        """From now on (until cleared or ``on`` false), positions of ``symbol`` are reported with entry
        price "0" (``zero_entry``), or ``symbol`` is left out of Binance's leverage brackets (``no_bracket``),
        in every REST answer (and Hyperliquid's clearinghouseState pushes, built from the same payload)."""
        self.position_faults.set(kind, exchange, symbol, on)
        self._record("bad_position", kind=kind, symbol=symbol, exchange=exchange, on=on)
        return 1

    # --- REST faults -----------------------------------------------------------------------------------
    def rest_error(
        self,
        status: int,
        *,
        exchange: str = "all",
        count: int | None = None,
        seconds: float | None = None,
        retry_after: int | None = None,
        path: str | None = None,
    ) -> None:
        """Answer REST requests with ``status``: the next ``count`` (default 1), or all for ``seconds``.

        ``path`` narrows it to requests whose path starts with it, optionally after a method
        (``"PUT /fapi/v1/listenKey"``).

        429 and 418 carry Retry-After (default 1 s and 120 s), bar Bybit's 403 IP block, which carries one
        only when ``retry_after`` is given (its documented page names no end time).
        """
        if status not in (418, 429) and not 500 <= status <= 599:
            raise ValueError("status must be 418, 429 or 5xx")
        if exchange not in EXCHANGES:
            raise ValueError(f"exchange must be one of {', '.join(EXCHANGES)}")
        until = self._loop_time() + seconds if seconds is not None else None
        remaining = count if count is not None else (None if seconds is not None else 1)
        if path is not None and not path.rpartition(" ")[2].startswith("/"):
            raise ValueError("path must start with / (after an optional method)")
        self._errors.append(RestRule(exchange, remaining, until, status=status, retry_after=retry_after, path=path))
        self._record("rest_error", status=status, exchange=exchange, count=count, seconds=seconds, path=path)

    def slow(
        self, delay: float, *, exchange: str = "all", count: int | None = None, seconds: float | None = None
    ) -> None:
        """Delay REST responses by ``delay`` seconds (for ``count`` requests or ``seconds``; default: until cleared)."""
        if not delay >= 0:
            raise ValueError("delay must be >= 0")
        if exchange not in EXCHANGES:
            raise ValueError(f"exchange must be one of {', '.join(EXCHANGES)}")
        until = self._loop_time() + seconds if seconds is not None else None
        self._slow.append(RestRule(exchange, count, until, delay=delay))
        self._record("slow", delay=delay, exchange=exchange, count=count, seconds=seconds)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        exchange = exchange_of(request.path)
        if exchange is None:
            return await handler(request)
        now = self._loop_time()
        for rule in self._slow:
            if rule.applies(exchange, now):
                rule.consume()
                await asyncio.sleep(rule.delay)
                break
        for rule in self._errors:
            if rule.applies(exchange, now, request.method, request.path):
                rule.consume()
                return rest_error_response(exchange, rule, self._now_ms())
        return await handler(request)

    # --- connection refusal --------------------------------------------------------------------------------
    async def refuse_connections(self, seconds: float) -> None:
        """Close the listening socket for ``seconds``: new TCP connections are refused; open ones live on."""
        if not seconds > 0:
            raise ValueError("seconds must be > 0")
        loop = asyncio.get_running_loop()
        if self._refusing is not None:
            self._refusing.cancel()
        else:
            await self._stop_listening()
        self.refused_until = loop.time() + seconds
        self._refusing = loop.call_later(seconds, self._schedule_restore)
        self._record("refuse_connections", seconds=seconds)

    def _schedule_restore(self) -> None:
        self._refusing = None
        self._restore_task = asyncio.get_running_loop().create_task(self._restore())

    async def _restore(self) -> None:
        self.refused_until = None
        await self._start_listening()

    @property
    def refusing(self) -> bool:
        return self.refused_until is not None

    # --- bookkeeping ----------------------------------------------------------------------------------------
    async def clear(self) -> None:
        """Lift every fault; sockets already half-open or stopped resume sending."""
        self._errors.clear()
        self._slow.clear()
        self._flags.silent_subscriptions.clear()
        self.position_faults.clear()
        for conn in self._hub.of(target_kinds("all")):
            conn.half_open = False
            conn.data_stopped = False
            conn.duplicate = 0
            conn.reorder = 0
        if self._refusing is not None:
            self._refusing.cancel()
            self._refusing = None
            self.refused_until = None
            await self._start_listening()
        if self._restore_task is not None:
            with contextlib.suppress(Exception):
                await self._restore_task
            self._restore_task = None
        self._record("clear")

    async def close(self) -> None:
        if self._refusing is not None:
            self._refusing.cancel()
            self._refusing = None
        if self._restore_task is not None:
            self._restore_task.cancel()
            with contextlib.suppress(BaseException):
                await self._restore_task

    def status(self) -> dict[str, Any]:
        now = self._loop_time()
        conns = self._hub.of(target_kinds("all"))
        return {
            "rest_errors": [
                {"exchange": r.exchange, "status": r.status, "remaining": r.remaining, "retry_after": r.retry_after,
                 "path": r.path}
                for r in self._errors
                if r.live(now)
            ],
            "slow": [
                {"exchange": r.exchange, "delay": r.delay, "remaining": r.remaining} for r in self._slow if r.live(now)
            ],
            "ack_without_data": sorted(k.value for k in self._flags.silent_subscriptions),
            "bad_positions": self.position_faults.status(),
            "refusing_connections": self.refusing,
            "accepted_connections": {kind.value: n for kind, n in self._hub.accepted.items()},
            "connections": [
                {
                    "id": c.id,
                    "kind": c.kind.value,
                    "half_open": c.half_open,
                    "data_stopped": c.data_stopped,
                    "duplicate": c.duplicate,
                    "reorder": c.reorder,
                    "frames_sent": c.frames_sent,
                    "pings_sent": c.pings_sent,
                }
                for c in conns
            ],
        }
