"""Hyperliquid adapter: watched by address, no key. POST /info snapshots and one websocket at /ws.

Subscriptions: activeAssetCtx per held coin (mark, oracle, funding), clearinghouseState (positions and
margin), userFundings (settled funding; its first message is a snapshot). Hyperliquid closes a socket it has
sent nothing to for 60 s, so an application ping goes out after 20 s of silence.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from liqwatch.feed_channel import ChannelKind
from liqwatch.feed_events import NextFundingTime, StaleEventIgnored
from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.feeds.adapter_frames import Apply
from liqwatch.feeds.adapter_marks import FundingCursor, streams_named
from liqwatch.feeds.adapter_streams import FrameRoutes, StreamSpec, event_type_in
from liqwatch.feeds.candles import forward_pages, seed_volatility
from liqwatch.feeds.frame_time import FUTURE_TOLERANCE_S
from liqwatch.feeds.hyperliquid_wire import (
    coin_of,
    parse_asset_ctx,
    parse_candles,
    parse_clearinghouse,
    parse_fundings,
    parse_meta_and_ctxs,
    parse_predicted_fundings,
    parse_user_fees,
)
from liqwatch.feeds.liquidation_history import hyperliquid_liquidation_fill, hyperliquid_liquidation_fills
from liqwatch.feeds.rest import ReadOnlyGuard, RestError
from liqwatch.feeds.stream import WS, StreamRunner, send_guarded
from liqwatch.feeds.wire import CandleClose, WireError
from liqwatch.funding import next_settlement
from liqwatch.funding_ledger import FundingPaid
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition
from liqwatch.model import AccountSpec, AccountState, Exchange, Position, Stamp
from liqwatch.risk_events import FeedNote
from liqwatch.tiers import TierTable

log = logging.getLogger(__name__)

# /info answers questions; /exchange (which signs actions) is not on the list.
READ_ONLY = ReadOnlyGuard("hyperliquid", frozenset({("POST", "/info")}))
# candleSnapshot: "Only the most recent 5000 candles are available" (Hyperliquid docs, info endpoint).
MAX_CANDLES = 5000
_INTERVAL_MS = {"1m": 60_000, "1h": 3_600_000}
#: How often the account's fee rate is read again (``userFees``): its volume tier moves with 14 days of
#: volume, so once an hour keeps the break-even right without a request per reconciliation.
FEES_REFRESH_S = 3600.0


class HyperliquidAdapter(FeedAdapter):
    read_only = READ_ONLY
    mark_stream_name = "ws"
    heartbeat_symbol = "BTC/USDC:USDC"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.account.address:
            raise ValueError(f"{self.account.name}: Hyperliquid needs the account's address")
        self.address = self.account.address.lower()
        self.mark = self.channel("mark", ChannelKind.MARKET)
        self.state_channel = self.channel("account", ChannelKind.QUIET)
        self.funding = self.channel("funding", ChannelKind.QUIET)
        self.tiers: dict[str, TierTable] = {}
        self.funding_cursor = FundingCursor(int((self.clock.now().timestamp() - 30 * 86400) * 1000))  # injected clock
        self.pings = 0
        # This run's start on the exchange's clock (from the first snapshot's time less the monotonic time
        # since), never the local wall clock; until known, replayed liquidation fills wait to be judged.
        self._started_mono = self.clock.monotonic()
        self._started_at: datetime | None = None
        self._replayed_fills: list[tuple[object, LiquidatedPosition]] = []
        self._liquidation_fills: set[object] = set()
        # The exchange time of the newest whole state applied: an older one pushed later changes nothing.
        self._state_time: datetime | None = None
        # Hyperliquid's own taker rate for this account (``userFees``), for the break-even price it does not
        # report (liqwatch.risk.hyperliquid); None until read, and then no break-even is shown.
        self.taker_fee_rate: float | None = None
        self._fees_mono: float | None = None

    @property
    def stream(self) -> StreamRunner | None:
        return self.runner("ws")

    async def _info(self, body: dict[str, Any]) -> Any:
        return await self.rest("POST", self.account.rest_url.rstrip("/") + "/info", json_body=body)

    async def bootstrap(self) -> None:
        await self._markets()

    async def seed_symbol(self, symbol: str) -> None:
        """σ from Hyperliquid's candles (see liqwatch.feeds.candles)."""
        coin = coin_of(symbol)

        async def fetch(interval: str, count: int) -> list[CandleClose]:
            # Hyperliquid has candles of trades only (no mark-price candles); their σ is the mark's within noise.
            step = _INTERVAL_MS[interval]
            now_ms = int(self.server_clock.now().timestamp() * 1000)

            async def page(start_ms: int) -> list[CandleClose]:
                req = {"coin": coin, "interval": interval, "startTime": start_ms, "endTime": now_ms + step}
                return parse_candles(await self._info({"type": "candleSnapshot", "req": req}))

            return (await forward_pages(page, now_ms - count * step, step, MAX_CANDLES))[-count:]

        await seed_volatility(self.sink, Exchange.HYPERLIQUID, symbol, fetch, self.account.name)

    async def _markets(self, also: frozenset[str] = frozenset()) -> None:
        """Tier tables and the marks of the coins held or watched. The context of a coin not held is never
        read; an unreadable item is counted, logged and skipped (a held coin keeps its previous mark, which
        ages, and its previous table)."""
        held = {p.symbol for p in self.held.positions()} | set(self.account.symbols) | also
        bad: list[tuple[Any, str]] = []
        try:
            tables, ticks = parse_meta_and_ctxs(await self._info({"type": "metaAndAssetCtxs"}),
                                                self.server_clock.now(), held, bad)
        except WireError as exc:
            raise RestError(f"metaAndAssetCtxs: {exc}") from None
        for item, why in bad:
            self.bad_item("metaAndAssetCtxs", item, why)
        self.tiers = {**self.tiers, **tables}
        for t in ticks:
            self.apply_rest_mark("metaAndAssetCtxs", t)
        await self._next_funding(held)

    def exchange_clock_offset_s(self) -> float | None:
        """Hyperliquid's clock minus ours, from the last REST clearinghouseState's ``time`` (None before one)."""
        return self.server_clock.offset_s if self.server_clock.measurements else None

    async def _next_funding(self, symbols: set[str] | None = None) -> None:
        """The next settlement on Hyperliquid's own clock: its ``predictedFundings`` (the demo emulator's
        simulated hour is not the wall clock's), else the next whole hour of the exchange's time."""
        if symbols is None:
            symbols = {p.symbol for p in self.held.positions()} | set(self.account.symbols)
        try:
            times = parse_predicted_fundings(await self._info({"type": "predictedFundings"}))
        except (RestError, WireError) as exc:
            log.info("%s: predictedFundings unavailable (%s); using the hourly schedule", self.account.name, exc)
            times = {}
        exchange_now = self.server_clock.now()
        for sym in symbols:
            self.emit(NextFundingTime(Exchange.HYPERLIQUID, sym, times.get(sym) or next_settlement(exchange_now, 1.0)))

    async def _read_fees(self) -> None:
        """The account's taker fee rate, at most once per ``FEES_REFRESH_S``; a failure keeps the last one."""
        now = self.clock.monotonic()
        if self._fees_mono is not None and now - self._fees_mono < FEES_REFRESH_S:
            return
        try:
            self.taker_fee_rate = parse_user_fees(await self._info({"type": "userFees", "user": self.address}))
            self._fees_mono = now
        except (RestError, WireError) as exc:
            log.info("%s: userFees unavailable (%s); no break-even price until read", self.account.name, exc)

    def _with_fees(self, positions: tuple[Position, ...]) -> tuple[Position, ...]:
        rate = self.taker_fee_rate
        return positions if rate is None else tuple(replace(p, taker_fee_rate=rate) for p in positions)

    async def fetch_snapshot(self) -> AccountState:
        before = self.clock.now()
        try:
            raw = await self._info({"type": "clearinghouseState", "user": self.address})
            state = parse_clearinghouse(raw, self.tiers)
        except WireError as exc:
            raise RestError(f"clearinghouseState: {exc}") from None
        if state.time is not None:
            # Hyperliquid's clock against ours, re-measured at every snapshot: a local clock jump is absorbed.
            self.server_clock.measure(before, state.time, self.clock.now())
        # The snapshot's own exchange time; without one, the exchange's clock a second before the request.
        as_of = state.time or self.early_as_of(before)
        if self._started_at is None:
            self._started_at = as_of - timedelta(seconds=self.clock.monotonic() - self._started_mono)
            replayed, self._replayed_fills = self._replayed_fills, []
            self._record_fills([f for f in replayed if f[1].time >= self._started_at])
        # Fresh marks (and tiers, for a coin we have not seen) so that a resync leaves no old price behind.
        await self._markets(frozenset(p.symbol for p in state.positions))
        try:
            pays = self.plausible_records("userFunding", parse_fundings(await self._info(
                {"type": "userFunding", "user": self.address, "startTime": self.funding_cursor.since_ms})),
                lambda p: p.time)
            if pays:
                self.emit(FundingPaid(self.account.name, tuple(pays)))
                self.funding_cursor.advance(pays)
        except (RestError, WireError) as exc:
            log.info("%s: funding history unavailable: %s", self.account.name, exc)
        await self._read_fees()
        return AccountState(AccountSpec(self.account.name, Exchange.HYPERLIQUID), state.wallet_balance,
                            self._with_fees(state.positions), as_of=as_of,
                            exchange_margin_balance=state.total_account_value,
                            unevaluated=state.unevaluated, exchange_withdrawable=state.withdrawable)

    def apply_snapshot(self, state: AccountState) -> None:
        super().apply_snapshot(state)
        if self._state_time is not None and self._state_time > self.server_clock.now() + timedelta(
                seconds=FUTURE_TOLERANCE_S):
            self._state_time = None  # forgotten as the store forgets times the exchange's clock has not reached
        if state.as_of is not None and (self._state_time is None or state.as_of > self._state_time):
            self._state_time = state.as_of

    # --- stream ----------------------------------------------------------------------------------------
    def stream_specs(self) -> list[StreamSpec]:
        base = self.account.ws_url.rstrip("/")

        async def url() -> str:
            return f"{base}/ws"

        routes = FrameRoutes(
            event_type=event_type_in("channel"),
            handlers={"activeAssetCtx": self._on_asset_ctx, "clearinghouseState": self._on_state,
                      "userFundings": self._on_fundings, "userFills": self._on_fills, "error": self._on_error},
            ignored=frozenset({"pong", "subscriptionResponse"}))
        return [StreamSpec("ws", url, self._open, (self.mark, self.state_channel, self.funding), routes,
                           app_ping=self._ping, on_renew=self._renew)]

    async def _ping(self, ws: WS) -> None:
        self.pings += 1
        await send_guarded(ws, {"method": "ping"})

    async def _open(self, ws: WS) -> None:
        coins = self.open_topics()
        self.mark.source = f"activeAssetCtx of {streams_named(coins)} at {self.account.ws_url.rstrip('/')}/ws"
        await self.subscribe_marks(ws, coins)
        for sub in ({"type": "clearinghouseState", "user": self.address},
                    {"type": "userFundings", "user": self.address},
                    {"type": "userFills", "user": self.address}):
            await send_guarded(ws, {"method": "subscribe", "subscription": sub})
        self.stream_opened("ws")  # after subscribing: the resync's snapshot may not predate the stream

    async def _renew(self, ws: WS) -> None:
        """A renewal's new socket: the same subscriptions, no resync (the old socket feeds meanwhile)."""
        for kind in ("clearinghouseState", "userFundings", "userFills"):
            await send_guarded(ws, {"method": "subscribe", "subscription": {"type": kind, "user": self.address}})
        sent: set[str] = set()
        while todo := sorted(self.mark_topics - sent):  # and a coin the old socket subscribed to meanwhile
            await self.subscribe_marks(ws, todo)
            sent.update(todo)

    def mark_topic(self, symbol: str) -> str:
        return coin_of(symbol)

    def mark_messages(self, topics: list[str], subscribe: bool) -> list[dict[str, Any]]:
        method = "subscribe" if subscribe else "unsubscribe"
        return [{"method": method, "subscription": {"type": "activeAssetCtx", "coin": c}} for c in topics]

    def _note_liquidations(self, data: Any, receive: datetime) -> Apply:
        """Fills of the exchange's own liquidations of this user (a ``liquidation`` object on the fill):
        each slice is kept by the store, listed as LIQUIDATED until acknowledged. A live message's fills are
        this run's; the snapshot sent on subscribing replays older fills: only those since this run started
        (both on the exchange's clock) count, older ones are the start-up history lookup's. A fill id is
        counted once across reconnects. All are read, and each liquidation fill's time judged like every
        exchange time, before any is kept: one unreadable or implausible makes the frame bad (raises)."""
        if not isinstance(data, dict) or not isinstance(data.get("fills"), list):
            raise WireError("userFills without fills")
        found = []
        for fill in data["fills"]:
            liq = hyperliquid_liquidation_fill(self.account.name, self.address, fill)
            if liq is not None:
                self.judge_time(liq.time, receive, record=bool(data.get("isSnapshot")))
                found.append((fill.get("tid") if isinstance(fill, dict) else None, liq))

        def apply() -> None:
            kept = found
            if data.get("isSnapshot"):
                if self._started_at is None:
                    self._replayed_fills += found
                    return
                kept = [f for f in found if f[1].time >= self._started_at]
            self._record_fills(kept)

        return apply

    def _record_fills(self, found: list[tuple[object, LiquidatedPosition]]) -> None:
        for fill_id, liq in found:
            if fill_id is not None:
                if fill_id in self._liquidation_fills:
                    continue
                self._liquidation_fills.add(fill_id)
            self.sink.record_liquidation(liq)

    async def liquidation_history(self, closed: ClosedSinceLastRun) -> LiquidatedPosition | None:
        start = int(closed.since.timestamp() * 1000) - 60_000  # the exchange's time, as userFills' are
        fills = await self._info({"type": "userFillsByTime", "user": self.address, "startTime": start})
        return hyperliquid_liquidation_fills(self.account.name, self.address, closed, fills)

    def _on_asset_ctx(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        data = msg.get("data")
        if not isinstance(data, dict):
            raise WireError("activeAssetCtx without data")
        # No time on the wire: ordered by arrival, stamped with the exchange's clock as measured.
        stamp = Stamp(self.server_clock.exchange_time(receive), receive)
        tick = parse_asset_ctx(str(data.get("coin")), data.get("ctx"), stamp)
        return self.judged_tick(tick, self.mark, mono)  # data once applied

    def _on_state(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        data = msg.get("data")
        if not isinstance(data, dict):
            raise WireError("clearinghouseState without data")
        body = data.get("clearinghouseState", data)
        state = parse_clearinghouse(body, self.tiers)
        if state.time is not None:
            self.judge_time(state.time, receive)

        def apply() -> None:
            if state.time is not None:
                if self._state_time is not None and state.time < self._state_time:
                    # Older than a state already applied (a replay, a lagging relay): it changes nothing,
                    # not even the reported equity, and is no data for the account channel.
                    self.emit(StaleEventIgnored(self.account.name))
                    return
                self._state_time = state.time
            # A whole state pushed on the stream: what it lacks closed in plain sight. Without a time it is
            # ordered by arrival (as_of None), never by the local clock.
            account = AccountState(AccountSpec(self.account.name, Exchange.HYPERLIQUID), state.wallet_balance,
                                   self._with_fees(state.positions), as_of=state.time, from_stream=True,
                                   exchange_margin_balance=state.total_account_value,
                                   unevaluated=state.unevaluated, exchange_withdrawable=state.withdrawable)
            if self.emit(account):  # only what the store applied counts as data
                self.state_channel.data(mono)
            self.after_snapshot(account)

        return apply

    def _on_fundings(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        data = msg.get("data")
        if not isinstance(data, dict):
            raise WireError("userFundings without data")
        pays = parse_fundings(data.get("fundings", []))
        # Each payment's time is judged (a snapshot replays history: a record's rule); one implausible
        # time makes the frame bad, and nothing of it is booked.
        for p in pays:
            self.judge_time(p.time, receive, record=bool(data.get("isSnapshot")))

        def apply() -> None:
            if pays:
                # isSnapshot replays history after a reconnect: de-duplicated by the store.
                self.emit(FundingPaid(self.account.name, tuple(pays)))
                if not data.get("isSnapshot"):
                    self.spawn(self._next_funding())  # a settlement: the countdown moves to the next
            self.funding.data(mono)

        return apply

    def _on_fills(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        return self._note_liquidations(msg.get("data"), receive)

    def _on_error(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        return lambda: self.sink.report(FeedNote(self.account.name, f"Hyperliquid error: {str(msg.get('data'))[:200]}",
                                                 receive, exchange=self.account.exchange))
