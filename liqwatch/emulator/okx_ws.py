"""OKX v5's websockets: ``/ws/v5/public`` (mark-price, funding-rate) and ``/ws/v5/private`` (login, then
positions, account, balance_and_position, liquidation-warning).

Keepalive as OKX runs it: the client sends the plain text ``ping`` and gets ``pong``; a socket the server has
pushed nothing to for 30 s is closed. The ``64008`` notice ("service will restart") is a fault (``notice``).
"""

from __future__ import annotations

import hmac
import itertools
from typing import Any

import orjson
from aiohttp import web

from liqwatch.emulator.okx_account import OkxAccount
from liqwatch.emulator.okx_auth import dumps, sign
from liqwatch.emulator.okx_rest_account import OkxAccountRest
from liqwatch.emulator.okx_rest_public import OkxPublic, px
from liqwatch.emulator.simulation import Simulation
from liqwatch.emulator.streams import ConnKind, Hub, StreamConn, StreamFlags

Json = dict[str, Any]
_PUBLIC = frozenset({"mark-price", "funding-rate"})
_PRIVATE = frozenset({"positions", "account", "balance_and_position", "liquidation-warning"})
#: The emulator's threshold for liquidation-warning (OKX documents "near liquidation" without a figure).
WARNING_RATIO = 1.5
#: OKX's login window: the login timestamp (epoch seconds) within 30 s of the server clock.
LOGIN_WINDOW_S = 30
NOTICE_64008 = "The connection will soon be closed for a service upgrade. Please reconnect."
_conn_ids = itertools.count(0x1A2B3C4D)


class OkxStreams:
    def __init__(self, sim: Simulation, public: OkxPublic, private: OkxAccountRest, hub: Hub, flags: StreamFlags,
                 *, idle_timeout: float | None = 30.0) -> None:
        self.sim = sim
        self.public = public
        self.private = private
        self.hub = hub
        self.flags = flags
        self.idle_timeout = idle_timeout
        self._subs: dict[int, dict[str, tuple[Json, bool]]] = {}  # conn id -> key -> (arg, silent)
        self._logins: dict[int, OkxAccount] = {}
        self._conn_id: dict[int, str] = {}

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/ws/v5/public", self._serve_public), web.get("/ws/v5/private", self._serve_private)]

    async def _serve_public(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, ConnKind.OKX_PUBLIC)

    async def _serve_private(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, ConnKind.OKX_PRIVATE)

    async def _serve(self, request: web.Request, kind: ConnKind) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, compress=False, max_msg_size=1 << 20, timeout=2.0)
        await ws.prepare(request)
        conn = StreamConn(kind, ws, request, idle_timeout=self.idle_timeout)
        self._subs[conn.id] = {}
        self._conn_id[conn.id] = f"{next(_conn_ids):08x}"
        self.hub.add(conn)
        try:
            await conn.serve(lambda text: self._request(conn, text))
        finally:
            self.hub.discard(conn)
            self._subs.pop(conn.id, None)
            self._logins.pop(conn.id, None)
            self._conn_id.pop(conn.id, None)
        return ws

    def _event(self, conn: StreamConn, body: Json) -> None:
        conn.send_control(dumps({**body, "connId": self._conn_id.get(conn.id, "")}))

    def _error(self, conn: StreamConn, code: str, msg: str) -> None:
        self._event(conn, {"event": "error", "code": code, "msg": msg})

    def _request(self, conn: StreamConn, text: str) -> None:
        if text == "ping":  # OKX's keepalive is the plain text, not JSON
            conn.send_control("pong")
            return
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._error(conn, "60012", f"Invalid request: {text}")
            return
        if not isinstance(req, dict) or not isinstance(req.get("args"), list):
            self._error(conn, "60012", f"Invalid request: {text}")
            return
        op = req.get("op")
        if op == "login" and conn.kind is ConnKind.OKX_PRIVATE:
            self._login(conn, req["args"])
            return
        if op not in ("subscribe", "unsubscribe"):
            self._error(conn, "60012", f"Invalid request: {text}")
            return
        for arg in req["args"]:
            self._subscribe(conn, op, arg)

    def _login(self, conn: StreamConn, args: list[Any]) -> None:
        arg = args[0] if args and isinstance(args[0], dict) else {}
        account = self.sim.okx.by_key.get(str(arg.get("apiKey", "")))
        stamp = str(arg.get("timestamp", ""))
        if account is None:
            self._error(conn, "60005", "Invalid apiKey")
            return
        if not hmac.compare_digest(str(arg.get("passphrase", "")), account.spec.passphrase):
            self._error(conn, "60024", "Wrong passphrase")
            return
        try:
            skew = abs(float(stamp) - self.sim.now_ms() / 1000)
        except ValueError:
            self._error(conn, "60004", "Invalid timestamp")
            return
        if skew > LOGIN_WINDOW_S:
            self._error(conn, "60006", "Timestamp request expired")
            return
        expected = sign(account.spec.secret, stamp + "GET" + "/users/self/verify")
        if not hmac.compare_digest(str(arg.get("sign", "")), expected):
            self._error(conn, "60007", "Invalid sign")
            return
        self._logins[conn.id] = account
        self._event(conn, {"event": "login", "code": "0", "msg": ""})

    def _subscribe(self, conn: StreamConn, op: str, arg: Any) -> None:
        channel = arg.get("channel") if isinstance(arg, dict) else None
        allowed = _PUBLIC if conn.kind is ConnKind.OKX_PUBLIC else _PRIVATE
        if channel not in allowed:
            self._error(conn, "60018", f"Wrong URL or channel:{channel}, instId or instType doesn't exist.")
            return
        assert isinstance(arg, dict)
        if channel in _PUBLIC and arg.get("instId") not in self.sim.market.okx:
            self._error(conn, "60018", f"Wrong URL or channel:{channel}, instId or instType doesn't exist.")
            return
        if conn.kind is ConnKind.OKX_PRIVATE and conn.id not in self._logins:
            self._error(conn, "60011", "Please log in")
            return
        key = orjson.dumps(arg, option=orjson.OPT_SORT_KEYS).decode()
        subs = self._subs.setdefault(conn.id, {})
        if op == "unsubscribe":
            subs.pop(key, None)
            self._event(conn, {"event": "unsubscribe", "arg": arg})
            return
        silent = conn.kind in self.flags.silent_subscriptions
        subs[key] = (arg, silent)
        self._event(conn, {"event": "subscribe", "arg": arg})
        if not silent:
            payload = self._payload(conn, arg, snapshot=True)
            if payload is not None:
                conn.send_data(payload)

    # --- payloads -----------------------------------------------------------------------------------------
    def _payload(self, conn: StreamConn, arg: Json, *, snapshot: bool = False, now_ms: int | None = None) -> str | None:
        """``now_ms``: the round's time, one for every socket (OKX stamps an event once; every subscriber gets
        the same bytes, which a renewal's two sockets rely on to hand each frame on once)."""
        channel = arg["channel"]
        now = str(self.sim.now_ms() if now_ms is None else now_ms)
        if channel == "mark-price":
            m = self.sim.market.okx[arg["instId"]]
            data = [{"instType": "SWAP", "instId": arg["instId"], "markPx": px(m.mark), "ts": now}]
            return dumps({"arg": arg, "data": data})
        if channel == "funding-rate":
            return dumps({"arg": arg, "data": [self.public.funding_row(arg["instId"])]})
        account = self._logins.get(conn.id)
        if account is None:
            return None
        head = {**arg, "uid": "44705892343619584"}
        if channel == "account":
            return dumps({"arg": head, "data": [self.private.balance_row(account)]})
        wanted = arg.get("instId")
        positions = [p for p in account.positions if wanted in (None, p.inst_id)]
        if channel == "positions":
            # A push's rows carry its time (pTime) beside the leg's last adjustment (uTime), as OKX's do.
            return dumps({"arg": head, "data": [{**self.private.position_row(account, p), "pTime": now}
                                                for p in positions]})
        if channel == "liquidation-warning":
            markets = self.sim.okx.markets
            near = [p for p in positions
                    if (r := account.position_ratio(p, markets)) is not None and r <= WARNING_RATIO]
            if not near:
                return None
            return dumps({"arg": head, "data": [{**self.private.position_row(account, p), "pTime": now}
                                                for p in near]})
        # balance_and_position: non-zero rows only, as OKX sends them
        return dumps({"arg": head, "data": [{
            "pTime": now, "eventType": "snapshot" if snapshot else "delivered",
            "balData": [{"ccy": c, "cashBal": f"{v:.8f}", "uTime": now} for c, v in account.balances.items() if v],
            "posData": [{"posId": p.pos_id, "tradeId": "", "instId": p.inst_id, "instType": "SWAP",
                         "mgnMode": "isolated" if p.isolated else "cross", "posSide": "net", "pos": f"{p.pos:g}",
                         "ccy": "USDT", "posCcy": "", "avgPx": px(p.entry), "uTime": now} for p in positions],
            "trades": [],
        }]})

    def publish(self) -> None:
        """One round: every live subscription gets its channel's current state."""
        now_ms = self.sim.now_ms()
        for conn in self.hub.of(frozenset({ConnKind.OKX_PUBLIC, ConnKind.OKX_PRIVATE})):
            for arg, silent in list(self._subs.get(conn.id, {}).values()):
                if silent:
                    continue
                payload = self._payload(conn, arg, now_ms=now_ms)
                if payload is not None:
                    conn.send_data(payload)

    def notice(self, target: str = "okx") -> int:
        """OKX's 64008: the service will restart (OKX closes the socket about 60 s later)."""
        kinds = {"okx": {ConnKind.OKX_PUBLIC, ConnKind.OKX_PRIVATE}, "okx-public": {ConnKind.OKX_PUBLIC},
                 "okx-private": {ConnKind.OKX_PRIVATE}}.get(target)
        if kinds is None:
            raise ValueError("target must be okx, okx-public or okx-private")
        conns = self.hub.of(frozenset(kinds))
        for conn in conns:
            self._event(conn, {"event": "notice", "code": "64008", "msg": NOTICE_64008})
        return len(conns)
