"""Hyperliquid's websocket at ``/ws``: subscriptions, text ping/pong, and the 60-second idle close."""

from __future__ import annotations

import re
from typing import Any

import orjson
from aiohttp import web

from liqwatch.emulator.accounts import FundingApplied
from liqwatch.emulator.fmt import trimmed
from liqwatch.emulator.hyperliquid_fills import liquidation_fills, user_fills
from liqwatch.emulator.hyperliquid_info import HyperliquidInfo
from liqwatch.emulator.market import Venue
from liqwatch.emulator.simulation import Simulation, StepResult
from liqwatch.emulator.streams import ConnKind, Hub, StreamConn, StreamFlags

Json = dict[str, Any]
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_USER_TYPES = frozenset({"clearinghouseState", "webData2", "userFundings", "userFills"})
_PERIODIC = frozenset({"activeAssetCtx", "allMids", "clearinghouseState", "webData2"})


def _dumps(obj: object) -> str:
    return orjson.dumps(obj).decode()


def _sub_key(sub: Json) -> str:
    return orjson.dumps(sub, option=orjson.OPT_SORT_KEYS).decode()


class _Sub:
    __slots__ = ("silent", "sub")

    def __init__(self, sub: Json, silent: bool) -> None:
        self.sub = sub
        self.silent = silent


class HyperliquidStreams:
    def __init__(
        self, sim: Simulation, info: HyperliquidInfo, hub: Hub, flags: StreamFlags, *, idle_timeout: float | None
    ) -> None:
        self.sim = sim
        self.info = info
        self.hub = hub
        self.flags = flags
        self.idle_timeout = idle_timeout
        self._subs: dict[int, dict[str, _Sub]] = {}

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/ws", self._serve)]

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=False, compress=False, max_msg_size=1 << 20, timeout=2.0)
        await ws.prepare(request)
        conn = StreamConn(ConnKind.HYPERLIQUID, ws, request, idle_timeout=self.idle_timeout)
        self._subs[conn.id] = {}
        self.hub.add(conn)
        try:
            await conn.serve(lambda text: self._request(conn, text))
        finally:
            self.hub.discard(conn)
            self._subs.pop(conn.id, None)
        return ws

    def _error(self, conn: StreamConn, text: str) -> None:
        conn.send_control(_dumps({"channel": "error", "data": text}))

    def _request(self, conn: StreamConn, text: str) -> None:
        try:
            req = orjson.loads(text)
        except orjson.JSONDecodeError:
            self._error(conn, f"Error parsing JSON into valid websocket request: {text}")
            return
        if not isinstance(req, dict):
            self._error(conn, f"Error parsing JSON into valid websocket request: {text}")
            return
        method = req.get("method")
        if method == "ping":
            conn.send_control('{"channel":"pong"}')
            return
        sub = req.get("subscription")
        if method not in ("subscribe", "unsubscribe") or not isinstance(sub, dict):
            self._error(conn, f"Error parsing JSON into valid websocket request: {text}")
            return
        problem = self._validate(sub)
        if problem is not None:
            self._error(conn, f"Error parsing JSON into valid websocket request: {text}")
            return
        key = _sub_key(sub)
        subs = self._subs.setdefault(conn.id, {})
        if method == "subscribe":
            if key in subs:
                self._error(conn, f"Already subscribed: {_dumps(sub)}")
                return
            silent = ConnKind.HYPERLIQUID in self.flags.silent_subscriptions
            subs[key] = _Sub(sub, silent)
            conn.send_control(
                _dumps({"channel": "subscriptionResponse", "data": {"method": "subscribe", "subscription": sub}})
            )
            if not silent:
                self._send_initial(conn, sub)
        else:
            if key not in subs:
                self._error(conn, f"Already unsubscribed: {_dumps(sub)}")
                return
            del subs[key]
            conn.send_control(
                _dumps({"channel": "subscriptionResponse", "data": {"method": "unsubscribe", "subscription": sub}})
            )

    def _validate(self, sub: Json) -> str | None:
        kind = sub.get("type")
        if kind == "allMids":
            return None
        if kind == "activeAssetCtx":
            coin = sub.get("coin")
            return None if isinstance(coin, str) and coin in self.sim.hl_markets else "unknown coin"
        if kind in _USER_TYPES:
            user = sub.get("user")
            return None if isinstance(user, str) and _ADDRESS.match(user) else "invalid user"
        return "unsupported subscription"

    # --- payloads -----------------------------------------------------------------------------------------
    def _payload(self, sub: Json, cache: dict[str, str]) -> str | None:
        kind = sub["type"]
        if kind == "activeAssetCtx":
            coin = sub["coin"]
            key = f"ctx:{coin}"
            if key not in cache:
                cache[key] = _dumps(
                    {"channel": "activeAssetCtx", "data": {"coin": coin, "ctx": self.info.asset_ctx(coin)}}
                )
            return cache[key]
        if kind == "allMids":
            if "mids" not in cache:
                cache["mids"] = _dumps({"channel": "allMids", "data": {"mids": self.info.all_mids()}})
            return cache["mids"]
        user = str(sub["user"]).lower()
        account = self.sim.hl_accounts.get(user)
        if kind == "clearinghouseState":
            key = f"ch:{user}"
            if key not in cache:
                state = self.info.clearinghouse_state(account)
                cache[key] = _dumps(
                    {
                        "channel": "clearinghouseState",
                        "data": {"dex": "", "user": sub["user"], "clearinghouseState": state},
                    }
                )
            return cache[key]
        if kind == "webData2":
            key = f"wd:{user}"
            if key not in cache:
                cache[key] = _dumps({"channel": "webData2", "data": self._web_data2(sub["user"])})
            return cache[key]
        return None

    def _web_data2(self, user: str) -> Json:
        account = self.sim.hl_accounts.get(user.lower())
        return {
            "clearinghouseState": self.info.clearinghouse_state(account),
            "leadingVaults": [],
            "totalVaultEquity": "0.0",
            "openOrders": [],
            "agentAddress": None,
            "agentValidUntil": None,
            "cumLedger": trimmed(account.spec.balance if account else 0.0, 6),
            "meta": self.info.meta(),
            "assetCtxs": self.info.asset_ctxs(),
            "serverTime": self.sim.now_ms(),
            "isVault": False,
            "user": user,
            "twapStates": [],
        }

    def _fundings_message(self, user: str, fundings: list[Json], snapshot: bool) -> str:
        return _dumps({"channel": "userFundings", "data": {"isSnapshot": snapshot, "user": user, "fundings": fundings}})

    def _fills_message(self, user: str, fills: list[Json], snapshot: bool) -> str:
        return _dumps({"channel": "userFills", "data": {"isSnapshot": snapshot, "user": user, "fills": fills}})

    def _send_initial(self, conn: StreamConn, sub: Json) -> None:
        if sub["type"] == "userFills":
            account = self.sim.hl_accounts.get(str(sub["user"]).lower())
            conn.send_data(self._fills_message(sub["user"], user_fills(self.sim, account), True))
            return
        if sub["type"] == "userFundings":
            account = self.sim.hl_accounts.get(str(sub["user"]).lower())
            rows = []
            if account is not None:
                rows = [
                    {
                        "time": f.time_ms,
                        "coin": f.coin,
                        "usdc": trimmed(f.usdc, 6),
                        "szi": trimmed(f.szi, 8),
                        "fundingRate": trimmed(f.rate, 10),
                    }
                    for f in account.fundings
                ]
            conn.send_data(self._fundings_message(sub["user"], rows, True))
            return
        payload = self._payload(sub, {})
        if payload is not None:
            conn.send_data(payload)

    def publish(self, result: StepResult | None = None) -> None:
        cache: dict[str, str] = {}
        new_fundings: dict[str, list[FundingApplied]] = {}
        new_fills: dict[str, list[Json]] = {}
        if result is not None:
            for liq in result.liquidations:
                if liq.venue is Venue.HYPERLIQUID:
                    address = next(a.address for a in self.sim.hl_accounts.values() if a.name == liq.account)
                    new_fills.setdefault(address, []).extend(liquidation_fills(self.sim, liq, address))
            for f in result.funding:
                if f.venue is Venue.HYPERLIQUID:
                    address = next(a.address for a in self.sim.hl_accounts.values() if a.name == f.account)
                    new_fundings.setdefault(address, []).append(f)
        for conn in self.hub.of(frozenset({ConnKind.HYPERLIQUID})):
            for entry in list(self._subs.get(conn.id, {}).values()):
                if entry.silent:
                    continue
                kind = entry.sub["type"]
                if kind in _PERIODIC:
                    payload = self._payload(entry.sub, cache)
                    if payload is not None:
                        conn.send_data(payload)
                elif kind == "userFills":
                    fills = new_fills.get(str(entry.sub["user"]).lower())
                    if fills:
                        conn.send_data(self._fills_message(entry.sub["user"], fills, False))
                elif kind == "userFundings":
                    items = new_fundings.get(str(entry.sub["user"]).lower())
                    if items:
                        rows = [
                            {
                                "time": f.time_ms,
                                "coin": f.symbol,
                                "usdc": trimmed(f.amount, 6),
                                "szi": trimmed(f.qty, 8),
                                "fundingRate": trimmed(f.rate, 10),
                            }
                            for f in items
                        ]
                        conn.send_data(self._fundings_message(entry.sub["user"], rows, False))
