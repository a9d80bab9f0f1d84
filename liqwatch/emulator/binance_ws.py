"""Binance USDⓈ-M websockets on the routed paths: ``/market`` (mark price) and ``/private`` (user data).

Legacy unrouted paths (``/ws/<streams>``, ``/stream``) are accepted and acknowledge subscriptions but
forward no market events, as Binance's retired URLs do; bare ``/ws`` belongs to Hyperliquid.

The events' bodies are built in ``binance_ws_payloads``; this file serves the sockets, their
subscriptions and listen keys, and sends.
"""

from __future__ import annotations

import re

import orjson
from aiohttp import web

from liqwatch.emulator.accounts import FundingApplied
from liqwatch.emulator.binance_auth import ListenKeys
from liqwatch.emulator.binance_ws_payloads import BinancePayloads, Json
from liqwatch.emulator.market import Venue
from liqwatch.emulator.simulation import Simulation, StepResult
from liqwatch.emulator.streams import ConnKind, Hub, StreamConn, StreamFlags

_MARK_STREAM = re.compile(r"^([a-z0-9]+)@markPrice(@1s)?$")
_ALL_MARKS = re.compile(r"^!markPrice@arr(@1s)?$")


def _dumps(obj: object) -> str:
    return orjson.dumps(obj).decode()


class _MarketState:
    def __init__(self, combined: bool, legacy: bool) -> None:
        self.combined = combined
        self.legacy = legacy
        self.subs: dict[str, bool] = {}  # stream name -> silent (acknowledged but never fed)


class BinanceStreams(BinancePayloads):
    def __init__(
        self,
        sim: Simulation,
        hub: Hub,
        listen_keys: ListenKeys,
        flags: StreamFlags,
        *,
        ping_interval: float | None,
        pong_timeout: float | None,
    ) -> None:
        self.sim = sim
        self.hub = hub
        self.listen_keys = listen_keys
        self.flags = flags
        self.ping_interval = ping_interval
        self.pong_timeout = pong_timeout
        self._market_state: dict[int, _MarketState] = {}
        self._user_key: dict[int, str] = {}
        self._order_ids = 8_000_000_000
        #: The demo's: a new subscription gets the current marks at once (see ``_first_marks``).
        self.first_marks_at_once = False

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/market/ws", self._market_raw),
            web.get("/market/ws/{streams:.+}", self._market_raw),
            web.get("/market/stream", self._market_combined),
            web.get("/public/ws", self._public_raw),
            web.get("/public/ws/{streams:.+}", self._public_raw),
            web.get("/public/stream", self._public_combined),
            web.get("/private/ws", self._private),
            web.get("/ws/{streams:.+}", self._legacy_raw),
            web.get("/stream", self._legacy_combined),
        ]

    # --- connection handlers --------------------------------------------------------------------------
    async def _market_raw(self, request: web.Request) -> web.StreamResponse:
        names = [n for n in request.match_info.get("streams", "").split("/") if n]
        return await self._serve_market(request, names, combined=False, legacy=False)

    async def _market_combined(self, request: web.Request) -> web.StreamResponse:
        names = [n for n in request.query.get("streams", "").split("/") if n]
        return await self._serve_market(request, names, combined=True, legacy=False)

    async def _public_raw(self, request: web.Request) -> web.StreamResponse:
        # Depth, bookTicker and trades are not emulated: the route exists and acknowledges, nothing more.
        names = [n for n in request.match_info.get("streams", "").split("/") if n]
        return await self._serve_market(request, names, combined=False, legacy=True)

    async def _public_combined(self, request: web.Request) -> web.StreamResponse:
        names = [n for n in request.query.get("streams", "").split("/") if n]
        return await self._serve_market(request, names, combined=True, legacy=True)

    async def _legacy_raw(self, request: web.Request) -> web.StreamResponse:
        names = [n for n in request.match_info.get("streams", "").split("/") if n]
        return await self._serve_market(request, names, combined=False, legacy=True)

    async def _legacy_combined(self, request: web.Request) -> web.StreamResponse:
        names = [n for n in request.query.get("streams", "").split("/") if n]
        return await self._serve_market(request, names, combined=True, legacy=True)

    def _new_ws(self) -> web.WebSocketResponse:
        # autoping off: the emulator answers pings itself so that faults can suppress the answers.
        return web.WebSocketResponse(autoping=False, compress=False, max_msg_size=1 << 20, timeout=2.0)

    async def _serve_market(
        self, request: web.Request, names: list[str], *, combined: bool, legacy: bool
    ) -> web.StreamResponse:
        ws = self._new_ws()
        await ws.prepare(request)
        conn = StreamConn(
            ConnKind.BINANCE_MARKET, ws, request, ping_interval=self.ping_interval, pong_timeout=self.pong_timeout
        )
        state = _MarketState(combined, legacy)
        silent = ConnKind.BINANCE_MARKET in self.flags.silent_subscriptions
        for name in names:
            state.subs[name] = silent
        self._market_state[conn.id] = state
        self.hub.add(conn)
        self._first_marks(conn, state, names)
        try:
            await conn.serve(lambda text: self._market_request(conn, state, text))
        finally:
            self.hub.discard(conn)
            self._market_state.pop(conn.id, None)
        return ws

    def _market_request(self, conn: StreamConn, state: _MarketState, text: str) -> None:
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError:
            conn.send_control(
                _dumps({"error": {"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}, "id": None})
            )
            return
        if not isinstance(req, dict):
            conn.send_control(
                _dumps({"error": {"code": 2, "msg": "Invalid request: expected a JSON object"}, "id": None})
            )
            return
        req_id = req.get("id")
        method = req.get("method")
        params = req.get("params", [])
        if not isinstance(req_id, int | str) or isinstance(req_id, bool):
            conn.send_control(
                _dumps(
                    {"error": {"code": 2, "msg": "Invalid request: request ID must be an unsigned integer"}, "id": None}
                )
            )
            return
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                conn.send_control(
                    _dumps({"error": {"code": 2, "msg": "Invalid request: invalid stream"}, "id": req_id})
                )
                return
            silent = ConnKind.BINANCE_MARKET in self.flags.silent_subscriptions
            new = [name for name in params if method == "SUBSCRIBE" and name not in state.subs]
            for name in params:
                if method == "SUBSCRIBE":
                    state.subs[name] = silent
                else:
                    state.subs.pop(name, None)
            conn.send_control(_dumps({"result": None, "id": req_id}))
            self._first_marks(conn, state, new)
        elif method == "LIST_SUBSCRIPTIONS":
            conn.send_control(_dumps({"result": list(state.subs), "id": req_id}))
        elif method == "SET_PROPERTY":
            conn.send_control(_dumps({"result": None, "id": req_id}))
        elif method == "GET_PROPERTY":
            conn.send_control(_dumps({"result": state.combined, "id": req_id}))
        else:
            conn.send_control(
                _dumps(
                    {
                        "error": {
                            "code": 2,
                            "msg": f"Invalid request: unknown variant {method}, expected one of SUBSCRIBE, "
                            "UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY",
                        },
                        "id": req_id,
                    }
                )
            )

    async def _private(self, request: web.Request) -> web.StreamResponse:
        key = request.query.get("listenKey", "")
        lk = self.listen_keys.lookup(key)
        if lk is None:
            return web.json_response({"code": -1125, "msg": "This listenKey does not exist."}, status=400)
        ws = self._new_ws()
        await ws.prepare(request)
        conn = StreamConn(
            ConnKind.BINANCE_USER, ws, request, ping_interval=self.ping_interval, pong_timeout=self.pong_timeout
        )
        self._user_key[conn.id] = key
        self.hub.add(conn)
        try:
            # The user stream takes no requests; whatever the client sends is ignored.
            await conn.serve(lambda text: None)
        finally:
            self.hub.discard(conn)
            self._user_key.pop(conn.id, None)
        return ws

    # --- market publishing -----------------------------------------------------------------------------
    def publish_market(self, round_index: int) -> None:
        """One push round: ``@1s`` streams every round, the 3-second streams every third."""
        conns = self.hub.of(frozenset({ConnKind.BINANCE_MARKET}))
        if not conns:
            return
        now = self.sim.now_ms()
        cache: dict[str, str] = {}  # one body per symbol (and "" for the all-marks array) per round
        for conn in conns:
            state = self._market_state.get(conn.id)
            if state is None or state.legacy:
                continue
            self._send_marks(conn, state, list(state.subs), now, cache, every_third=round_index % 3 == 0)

    def _first_marks(self, conn: StreamConn, state: _MarketState, names: list[str]) -> None:
        """``first_marks_at_once``: the current marks of streams just subscribed, sent now rather than at
        the next round (up to a second later), so that the demo's feeds go LIVE at once."""
        if self.first_marks_at_once and not state.legacy:
            self._send_marks(conn, state, names, self.sim.now_ms(), {}, every_third=True)

    def _send_marks(self, conn: StreamConn, state: _MarketState, names: list[str], now: int,
                    cache: dict[str, str], *, every_third: bool) -> None:
        for name in names:
            if state.subs.get(name, True):  # silent (acknowledged but never fed), or not subscribed
                continue
            text: str | None = None
            match = _MARK_STREAM.match(name)
            if match is not None:
                symbol = match.group(1).upper()
                if symbol not in self.sim.binance_markets:
                    continue
                if match.group(2) is None and not every_third:
                    continue
                if symbol not in cache:
                    cache[symbol] = _dumps(self.mark_payload(symbol, now))
                text = cache[symbol]
            else:
                all_match = _ALL_MARKS.match(name)
                if all_match is None:
                    continue
                if all_match.group(1) is None and not every_third:
                    continue
                if "" not in cache:
                    cache[""] = _dumps([self.mark_payload(s, now) for s in self.sim.binance_markets])
                text = cache[""]
            if state.combined:
                text = '{"stream":' + _dumps(name) + ',"data":' + text + "}"
            conn.send_data(text)

    # --- user data ---------------------------------------------------------------------------------------
    def _user_conns(self, account: str) -> list[StreamConn]:
        out = []
        for conn in self.hub.of(frozenset({ConnKind.BINANCE_USER})):
            key = self._user_key.get(conn.id)
            lk = self.listen_keys.lookup(key) if key is not None else None
            if lk is not None and lk.account == account:
                out.append(conn)
        return out

    def send_user(self, account: str, event: Json) -> int:
        conns = self._user_conns(account)
        text = _dumps(event)
        for conn in conns:
            conn.send_data(text)
        return len(conns)

    def _funding_events(self, applied: list[FundingApplied], now: int) -> None:
        by_account: dict[str, list[FundingApplied]] = {}
        for f in applied:
            if f.venue is Venue.BINANCE:
                by_account.setdefault(f.account, []).append(f)
        for name, items in by_account.items():
            account = self.sim.binance_accounts[name]
            # Binance: a cross position's funding pushes only the balance; an isolated one adds its position.
            entries = [
                self._position_entry(account, p)
                for p in account.positions
                if p.isolated and any(f.isolated and f.symbol == p.symbol for f in items)
            ]
            self.send_user(name, self.account_update(account, "FUNDING_FEE", entries, now))

    def publish_user(self, result: StepResult) -> None:
        now = self.sim.now_ms()
        self._funding_events(result.funding, now)
        for call in result.margin_calls:
            if call.venue is Venue.BINANCE:
                self.send_user(call.account, self._margin_call_event(call, now))
        for liq in result.liquidations:
            if liq.venue is Venue.BINANCE:
                for event in self._liquidation_events(liq, now):
                    self.send_user(liq.account, event)

    def announce_expired(self, keys: list[tuple[str, str]]) -> int:
        """Tell each socket on an expired key; the socket stays open but no user data follows."""
        sent = 0
        now = self.sim.now_ms()
        for conn in self.hub.of(frozenset({ConnKind.BINANCE_USER})):
            key = self._user_key.get(conn.id)
            for expired_key, _account in keys:
                if key == expired_key:
                    # Binance sends E as a string in this one event.
                    conn.send_data(_dumps({"e": "listenKeyExpired", "E": str(now), "listenKey": key}))
                    sent += 1
        return sent

    async def close_key(self, key: str) -> None:
        for conn in self.hub.of(frozenset({ConnKind.BINANCE_USER})):
            if self._user_key.get(conn.id) == key:
                conn.request_close(1000, "listenKey deleted")

    def drop_user_keys(self, keys: set[str]) -> None:
        """Reset (no close frame, no last event) the user sockets open on ``keys``."""
        for conn in self.hub.of(frozenset({ConnKind.BINANCE_USER})):
            if self._user_key.get(conn.id) in keys:
                conn.abort()
