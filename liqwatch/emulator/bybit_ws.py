"""Bybit v5 websockets: public ``/v5/public/linear`` (``tickers.<symbol>``: a snapshot, then deltas of the
fields that changed) and private ``/v5/private`` (``auth``, then ``position``, ``wallet``, ``execution``).

Both answer ``{"op": "ping"}`` and close a socket that has sent nothing for ``idle_timeout`` seconds: Bybit
cuts a connection without heartbeat after 10 minutes and asks clients to ping every 20 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from typing import Any

import orjson
from aiohttp import web

from liqwatch.emulator.bybit_auth import verify_ws_auth
from liqwatch.emulator.bybit_payloads import BybitPayloads
from liqwatch.emulator.bybit_rest_market import BybitMarketRoutes
from liqwatch.emulator.market import Venue
from liqwatch.emulator.simulation import Simulation, StepResult
from liqwatch.emulator.streams import ConnKind, Hub, StreamConn, StreamFlags

Json = dict[str, Any]
PRIVATE_TOPICS = frozenset({"position", "wallet", "execution"})
_conn_ids = itertools.count(1)


def _dumps(obj: object) -> str:
    return orjson.dumps(obj).decode()


class _Session:
    __slots__ = ("account", "conn", "conn_id", "last_heard", "silent", "topics")

    def __init__(self, conn: StreamConn) -> None:
        self.conn = conn
        self.conn_id = f"emu-{next(_conn_ids)}"
        self.topics: set[str] = set()
        self.silent: set[str] = set()
        self.account: str | None = None
        self.last_heard = asyncio.get_running_loop().time()


class BybitStreams:
    def __init__(self, sim: Simulation, hub: Hub, flags: StreamFlags, *, idle_timeout: float | None) -> None:
        self.sim = sim
        self.hub = hub
        self.flags = flags
        self.idle_timeout = idle_timeout
        self.market = BybitMarketRoutes(sim)
        self.payloads = BybitPayloads(sim)
        self._sessions: dict[int, _Session] = {}
        self._exec_seen: dict[str, int] = {name: len(a.executions) for name, a in sim.bybit_accounts.items()}
        self._tx_seen: dict[str, int] = {name: len(a.transactions) for name, a in sim.bybit_accounts.items()}
        self._changed: set[str] = set()  # accounts whose balance or positions changed this round
        self._seq = itertools.count(1)
        self._last_full: dict[str, Json] = {}  # per ticker topic: the state the last round's delta led to
        self._cs: dict[str, int] = {}  # per ticker topic: Bybit's cross sequence

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/v5/public/linear", self._serve_public), web.get("/v5/private", self._serve_private)]

    async def _serve_public(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, ConnKind.BYBIT_PUBLIC)

    async def _serve_private(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, ConnKind.BYBIT_PRIVATE)

    async def _serve(self, request: web.Request, kind: ConnKind) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, compress=False, max_msg_size=1 << 20, timeout=2.0)
        await ws.prepare(request)
        conn = StreamConn(kind, ws, request)
        session = _Session(conn)
        self._sessions[conn.id] = session
        self.hub.add(conn)
        watchdog = asyncio.get_running_loop().create_task(self._watch_idle(session), name=f"bybit-idle-{conn.id}")
        try:
            await conn.serve(lambda text: self._request(session, text))
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watchdog
            self.hub.discard(conn)
            self._sessions.pop(conn.id, None)
        return ws

    async def _watch_idle(self, session: _Session) -> None:
        """Close the socket once the client has been silent for ``idle_timeout`` (no ping, no request)."""
        if self.idle_timeout is None:
            return
        loop = asyncio.get_running_loop()
        while not session.conn.closed.is_set():
            remaining = session.last_heard + self.idle_timeout - loop.time()
            if remaining <= 0:
                if not session.conn.half_open:
                    session.conn.request_close(1000, "idle: no heartbeat")
                    return
                session.last_heard = loop.time()  # a frozen server notices nothing
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(session.conn.closed.wait(), remaining)

    # --- requests ----------------------------------------------------------------------------------------
    def _reply(self, session: _Session, op: str, success: bool, msg: str = "", req_id: str | None = None) -> None:
        frame: Json = {"success": success, "ret_msg": msg, "conn_id": session.conn_id, "op": op}
        if req_id is not None:
            frame["req_id"] = req_id
        session.conn.send_control(_dumps(frame))

    def _request(self, session: _Session, text: str) -> None:
        session.last_heard = asyncio.get_running_loop().time()
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._reply(session, "", False, f"error:unmarshal error,msg:{text[:60]}")
            return
        if not isinstance(req, dict):
            self._reply(session, "", False, "error:unmarshal error")
            return
        op, req_id, args = req.get("op"), req.get("req_id"), req.get("args")
        req_id = str(req_id) if req_id is not None else None
        private = session.conn.kind is ConnKind.BYBIT_PRIVATE
        if op == "ping":
            if private:
                pong: Json = {"op": "pong", "args": [str(self.sim.now_ms())], "conn_id": session.conn_id}
                pong["req_id"] = req_id or ""
                session.conn.send_control(_dumps(pong))
            else:
                self._reply(session, "ping", True, "pong", req_id)
            return
        if op == "auth" and private:
            found = verify_ws_auth(args, self.sim.bybit_by_key, self.sim.now_ms())
            if isinstance(found, str):
                self._reply(session, "auth", False, found, req_id)
                return
            session.account = found.name
            self._reply(session, "auth", True, "", req_id)
            return
        if op in ("subscribe", "unsubscribe") and isinstance(args, list):
            self._subscribe(session, op, [str(a) for a in args], req_id)
            return
        self._reply(session, str(op or ""), False, f"error:handler not found,op:{op}", req_id)

    def _subscribe(self, session: _Session, op: str, topics: list[str], req_id: str | None) -> None:
        private = session.conn.kind is ConnKind.BYBIT_PRIVATE
        if private and session.account is None:
            self._reply(session, op, False, "Request not authorized", req_id)
            return
        for topic in topics:
            valid = topic in PRIVATE_TOPICS if private else (
                topic.startswith("tickers.") and topic.removeprefix("tickers.") in self.sim.market.bybit
            )
            if not valid:
                self._reply(session, op, False, f"error:handler not found,topic:{topic}", req_id)
                return
        if op == "unsubscribe":
            session.topics.difference_update(topics)
            self._reply(session, op, True, "", req_id)
            return
        silent = session.conn.kind in self.flags.silent_subscriptions
        session.topics.update(topics)
        if silent:
            session.silent.update(topics)
        self._reply(session, op, True, "", req_id)
        if not silent and not private:
            for topic in topics:
                self._send_ticker(session, topic)

    # --- pushes ------------------------------------------------------------------------------------------
    def _send_ticker(self, session: _Session, topic: str) -> None:
        """A subscription's snapshot (the whole ticker as it stands)."""
        market = self.sim.market.bybit[topic.removeprefix("tickers.")]
        full = self.market.ticker(market)
        self._last_full.setdefault(topic, full)  # the first subscriber's snapshot is where deltas start from
        frame = {"topic": topic, "type": "snapshot", "data": full, "cs": self._cs.get(topic, 0),
                 "ts": self.sim.now_ms()}
        session.conn.send_data(_dumps(frame))

    def _ticker_delta(self, topic: str) -> str:
        """This round's delta of ``topic``, one frame for every subscriber (Bybit broadcasts the same bytes): the
        fields changed since the last round. A live symbol's ticker changes between pushes (trades, volume), so
        a delta goes out every round even when the simulated mark has not moved (then it names the symbol only);
        a snapshot taken between two rounds is already as new as or newer than the last round's state, and the
        delta's fields, applied onto it, give the state now."""
        market = self.sim.market.bybit[topic.removeprefix("tickers.")]
        full = self.market.ticker(market)
        held = self._last_full.get(topic, {})
        data = {k: v for k, v in full.items() if held.get(k) != v}
        data["symbol"] = market.symbol
        self._last_full[topic] = full
        self._cs[topic] = self._cs.get(topic, 0) + 1
        return _dumps({"topic": topic, "type": "delta", "data": data, "cs": self._cs[topic], "ts": self.sim.now_ms()})

    def _private_frame(self, topic: str, data: list[Json]) -> str:
        return _dumps({"id": f"{topic}-{next(self._seq)}", "topic": topic, "creationTime": self.sim.now_ms(),
                       "data": data})

    def publish(self, result: StepResult | None = None) -> None:
        closed: dict[str, list[str]] = {}
        if result is not None:
            for liq in result.liquidations:
                if liq.venue is Venue.BYBIT:
                    closed.setdefault(liq.account, []).extend(leg.symbol for leg in liq.legs)
        fresh: dict[str, list[Json]] = {}
        for name, account in self.sim.bybit_accounts.items():
            seen = self._exec_seen.get(name, 0)
            fresh[name] = [self.payloads.execution(e) for e in account.executions[seen:]]
            self._exec_seen[name] = len(account.executions)
            # Bybit pushes position and wallet when they change (a funding fee, interest, a liquidation), not
            # with every mark: the marks move the PnL the client computes, and REST has the rest.
            if len(account.transactions) != self._tx_seen.get(name, 0) or fresh[name]:
                self._changed.add(name)
            self._tx_seen[name] = len(account.transactions)
        deltas: dict[str, str] = {}
        private: dict[tuple[str, str], str | None] = {}  # (account, topic): one frame for every socket of it
        for session in list(self._sessions.values()):
            if session.conn.ws.closed:
                continue
            live = session.topics - session.silent
            if session.conn.kind is ConnKind.BYBIT_PUBLIC:
                for topic in sorted(live):
                    if topic not in deltas:
                        deltas[topic] = self._ticker_delta(topic)
                    session.conn.send_data(deltas[topic])
                continue
            if session.account is None:
                continue
            for topic in ("execution", "position", "wallet"):
                if topic not in live:
                    continue
                key = (session.account, topic)
                if key not in private:
                    private[key] = self._private_push(session.account, topic, fresh, closed)
                frame = private[key]
                if frame is not None:
                    session.conn.send_data(frame)
        self._changed.clear()

    def _private_push(self, name: str, topic: str, fresh: dict[str, list[Json]],
                      closed: dict[str, list[str]]) -> str | None:
        account = self.sim.bybit_accounts[name]
        if topic == "execution":
            return self._private_frame("execution", fresh[name]) if fresh.get(name) else None
        if name not in self._changed:
            return None
        if topic == "position":
            rows = [_stream_row(self.payloads.position(account, p)) for p in account.positions]
            rows.extend(self._closed_row(s) for s in closed.get(name, []))
            return self._private_frame("position", rows) if rows else None
        return self._private_frame("wallet", [self.payloads.wallet(account)])

    def _closed_row(self, symbol: str) -> Json:
        """Bybit's push for a position that is gone: size 0 and an empty side."""
        now = str(self.sim.now_ms())
        return {"positionIdx": 0, "symbol": symbol, "side": "", "size": "0", "entryPrice": "0", "positionValue": "0",
                "tradeMode": 0, "leverage": "10", "positionBalance": "0", "markPrice": "0", "liqPrice": "",
                "bustPrice": "", "positionMM": "0", "positionIM": "0", "unrealisedPnl": "0", "cumRealisedPnl": "0",
                "positionStatus": "Normal", "riskId": 1, "riskLimitValue": "0", "category": "linear",
                "createdTime": now, "updatedTime": now, "seq": -1}


def _stream_row(row: Json) -> Json:
    """A position row as the ``position`` topic sends it: ``entryPrice`` where REST says ``avgPrice``, and the
    row's category."""
    out = {("entryPrice" if k == "avgPrice" else k): v for k, v in row.items()}
    out["category"] = "linear"
    return out
