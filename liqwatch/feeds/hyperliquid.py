"""Hyperliquid adapter: watched by address, no key. POST /info snapshots and one websocket at /ws.

Subscriptions: activeAssetCtx per held coin (mark, oracle, funding), clearinghouseState (positions and
margin), userFundings (settled funding; its first message is a snapshot). Hyperliquid closes a socket it has
sent nothing to for 60 s, so an application ping goes out after 20 s of silence.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

import orjson

from liqwatch.feeds.adapter import FeedAdapter, set_down
from liqwatch.feeds.channel import Channel, ChannelKind
from liqwatch.feeds.hyperliquid_wire import (
    coin_of,
    parse_asset_ctx,
    parse_clearinghouse,
    parse_fundings,
    parse_meta_and_ctxs,
)
from liqwatch.feeds.liquidation_history import hyperliquid_liquidation_fill, hyperliquid_liquidation_fills
from liqwatch.feeds.rest import ReadOnlyGuard, RestError, RestGate, request_json
from liqwatch.feeds.stream import WS, StreamRunner
from liqwatch.feeds.wire import WireError
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition
from liqwatch.model import AccountSpec, AccountState, Exchange, Stamp
from liqwatch.store import FundingPaid
from liqwatch.tiers import TierTable

log = logging.getLogger(__name__)

# /info answers questions; /exchange (which signs actions) is not on the list.
READ_ONLY = ReadOnlyGuard("hyperliquid", frozenset({("POST", "/info")}))
_GATES: dict[str, RestGate] = {}


class HyperliquidAdapter(FeedAdapter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.account.address:
            raise ValueError(f"{self.account.name}: Hyperliquid needs the account's address")
        self.address = self.account.address.lower()
        self.gate = _GATES.setdefault(self.account.rest_url, RestGate())
        self.mark = self.channel("mark", ChannelKind.MARKET)
        self.state_channel = self.channel("account", ChannelKind.QUIET)
        self.funding = self.channel("funding", ChannelKind.QUIET)
        self.tiers: dict[str, TierTable] = {}
        self._coins: set[str] = set()
        self.stream: StreamRunner | None = None
        self._funding_since_ms = int((time.time() - 30 * 86400) * 1000)
        self.pings = 0
        self._started_at = self.clock.now()
        self._liquidation_fills: set[object] = set()

    async def _info(self, body: dict[str, Any]) -> Any:
        READ_ONLY.check("POST", "/info")
        return await request_json(self.session, "POST", self.account.rest_url.rstrip("/") + "/info", gate=self.gate,
                                  timeout_s=self.opts.request_timeout_s, json_body=body)

    async def bootstrap(self) -> None:
        await self._markets()

    async def _markets(self) -> None:
        try:
            tables, ticks = parse_meta_and_ctxs(await self._info({"type": "metaAndAssetCtxs"}), self.clock.now())
        except WireError as exc:
            raise RestError(f"metaAndAssetCtxs: {exc}") from None
        self.tiers = tables
        held = {p.symbol for p in self.store.book(self.account.name).positions()} | set(self.account.symbols)
        for t in ticks:
            if t.symbol in held:
                self.store.apply(t)

    async def fetch_snapshot(self) -> AccountState:
        as_of = self.clock.now() - timedelta(seconds=1)  # see the store: never newer than the request
        try:
            raw = await self._info({"type": "clearinghouseState", "user": self.address})
            state = parse_clearinghouse(raw, self.tiers)
        except WireError as exc:
            raise RestError(f"clearinghouseState: {exc}") from None
        # Fresh marks (and tiers, for a coin we have not seen) so that a resync leaves no old price behind.
        await self._markets()
        try:
            pays = parse_fundings(await self._info(
                {"type": "userFunding", "user": self.address, "startTime": self._funding_since_ms}))
            if pays:
                self.store.apply(FundingPaid(self.account.name, tuple(pays)))
                self._funding_since_ms = int(max(p.time for p in pays).timestamp() * 1000)
        except (RestError, WireError) as exc:
            log.info("%s: funding history unavailable: %s", self.account.name, exc)
        return AccountState(AccountSpec(self.account.name, Exchange.HYPERLIQUID), state.wallet_balance,
                            state.positions, as_of=min(as_of, state.time) if state.time else as_of)

    def after_snapshot(self, state: AccountState) -> None:
        coins = {coin_of(p.symbol) for p in state.positions} | {coin_of(s) for s in self.account.symbols}
        new = coins - self._coins
        if new and self.stream is not None and self.stream.connected:
            self.spawn(self._subscribe_coins(sorted(new)))

    # --- stream ----------------------------------------------------------------------------------------
    def build_streams(self) -> list[StreamRunner]:
        base = self.account.ws_url.rstrip("/")

        async def url() -> str:
            return f"{base}/ws"

        self.stream = StreamRunner(
            "ws", self.session, url, self._open, self.guarded("ws", self._on_frame, lambda: self.stream),
            set_down([self.mark, self.state_channel, self.funding]), self.clock, self.opts, app_ping=self._ping,
            on_undecodable=self.undecodable("ws"),
        )
        return [self.stream]

    def stream_of(self, channel: Channel) -> StreamRunner | None:
        return self.stream

    async def _ping(self, ws: WS) -> None:
        self.pings += 1
        await ws.send_json({"method": "ping"})

    async def _open(self, ws: WS) -> None:
        now = self.clock.monotonic()
        for ch in (self.mark, self.state_channel, self.funding):
            ch.subscribed(now)
        held = {coin_of(p.symbol) for p in self.store.book(self.account.name).positions()}
        held |= {coin_of(s) for s in self.account.symbols}
        self._coins = set()
        await self._subscribe_coins(sorted(held or {"BTC"}))
        for sub in ({"type": "clearinghouseState", "user": self.address},
                    {"type": "userFundings", "user": self.address},
                    {"type": "userFills", "user": self.address}):
            await ws.send_json({"method": "subscribe", "subscription": sub})
        self.replace_task("resync", self._resync_all())

    async def _resync_all(self) -> None:
        await self.resync_until_ok([self.mark, self.state_channel, self.funding], self.stream)

    async def _subscribe_coins(self, coins: list[str]) -> None:
        if self.stream is None:
            return
        for coin in coins:
            sub = {"type": "activeAssetCtx", "coin": coin}
            await self.stream.send_json({"method": "subscribe", "subscription": sub})
            self._coins.add(coin)

    async def resubscribe(self, channel: Channel) -> None:
        if self.stream is None or not self.stream.connected:
            return
        try:
            for coin in sorted(self._coins):
                sub = {"type": "activeAssetCtx", "coin": coin}
                await self.stream.send_json({"method": "unsubscribe", "subscription": sub})
                await self.stream.send_json({"method": "subscribe", "subscription": sub})
        except ConnectionError:
            pass

    def _note_liquidations(self, data: Any) -> None:
        """Fills of the exchange's own liquidations of this user (a ``liquidation`` object on the fill):
        each slice is kept by the store, listed as LIQUIDATED until acknowledged. The snapshot sent on
        subscribing replays older fills: only those since this adapter started count (older ones are the
        start-up history lookup's), and a fill id is counted once across reconnects."""
        if not isinstance(data, dict) or not isinstance(data.get("fills"), list):
            raise WireError("userFills without fills")
        found = []
        for fill in data["fills"]:
            liq = hyperliquid_liquidation_fill(self.account.name, self.address, fill)
            if liq is None or liq.time < self._started_at:
                continue
            fill_id = fill.get("tid") if isinstance(fill, dict) else None
            if fill_id is not None and fill_id in self._liquidation_fills:
                continue
            found.append((fill_id, liq))
        for fill_id, liq in found:  # all parsed before any is applied
            if fill_id is not None:
                self._liquidation_fills.add(fill_id)
            self.store.record_liquidation(liq)

    async def liquidation_history(self, closed: ClosedSinceLastRun) -> LiquidatedPosition | None:
        start = int(closed.since.timestamp() * 1000) - 60_000
        fills = await self._info({"type": "userFillsByTime", "user": self.address, "startTime": start})
        return hyperliquid_liquidation_fills(self.account.name, self.address, closed, fills)

    def _on_frame(self, raw: str, mono: float, receive: datetime) -> None:
        self.record("ws", raw, receive)
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.bad_frame("ws", raw, "not JSON", self.stream)
            return
        if not isinstance(msg, dict):
            self.bad_frame("ws", raw, "unexpected shape", self.stream)
            return
        channel = msg.get("channel")
        data = msg.get("data")
        try:
            if channel == "activeAssetCtx":
                if not isinstance(data, dict):
                    raise WireError("activeAssetCtx without data")
                tick = parse_asset_ctx(str(data.get("coin")), data.get("ctx"), Stamp(receive, receive))
                self.push_tick(tick)
                self.mark.data(mono)
            elif channel == "clearinghouseState":
                if not isinstance(data, dict):
                    raise WireError("clearinghouseState without data")
                body = data.get("clearinghouseState", data)
                state = parse_clearinghouse(body, self.tiers)
                # A whole state pushed on the stream: what it lacks closed in plain sight.
                account = AccountState(AccountSpec(self.account.name, Exchange.HYPERLIQUID), state.wallet_balance,
                                       state.positions, as_of=state.time or receive, from_stream=True)
                self.store.apply(account)
                self.state_channel.data(mono)
                self.after_snapshot(account)
            elif channel == "userFundings":
                if not isinstance(data, dict):
                    raise WireError("userFundings without data")
                pays = parse_fundings(data.get("fundings", []))
                if pays:
                    # isSnapshot replays history after a reconnect: de-duplicated by the store.
                    self.store.apply(FundingPaid(self.account.name, tuple(pays)))
                self.funding.data(mono)
            elif channel == "userFills":
                self._note_liquidations(data)
            elif channel in ("pong", "subscriptionResponse"):
                return
            elif channel == "error":
                self.store.incidents.append(f"{self.account.name}: Hyperliquid error: {str(data)[:200]}")
            else:
                self.unknown_event("ws", str(channel))
        except WireError as exc:
            self.bad_frame("ws", raw, str(exc), self.stream)
