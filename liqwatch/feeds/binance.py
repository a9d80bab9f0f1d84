"""Binance USDⓈ-M adapter: signed REST snapshot, the routed mark-price stream, the user-data stream.

Own REST calls rather than ccxt: ccxt drops the bracket ``cum`` and the isolated wallet we need, and
ignores ``listenKeyExpired``. Streams use Binance's routed paths (``/market/stream``, ``/private/ws``);
the legacy unrouted URLs accept subscriptions and then send nothing.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import orjson

from liqwatch.feeds.account_modes import binance_multi_assets_mode, binance_portfolio_margin
from liqwatch.feeds.adapter import FeedAdapter, ModeNotModelled, set_down
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.binance_funding import BinanceFunding
from liqwatch.feeds.binance_wire import (
    AccountUpdate,
    WirePosition,
    native,
    parse_account_margin_balance,
    parse_account_marks,
    parse_account_update,
    parse_account_wallet,
    parse_brackets,
    parse_funding_info,
    parse_mark_klines,
    parse_position_risk,
    parse_premium_index,
    unified,
)
from liqwatch.feeds.candles import latest_pages, seed_volatility
from liqwatch.feeds.channel import Channel, ChannelKind
from liqwatch.feeds.liquidation_history import binance_force_orders, binance_realized
from liqwatch.feeds.rest import ApiError, AuthError, RateLimited, ReadOnlyGuard, RestError, RestGate, request_json
from liqwatch.feeds.stream import WS, StreamRunner
from liqwatch.feeds.wire import CandleClose, WireError, ms_time
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition, is_partial
from liqwatch.model import (
    AccountSpec,
    AccountState,
    BalanceUpdate,
    Exchange,
    MarginMode,
    Position,
    PositionMode,
    PositionUpdate,
    Side,
    UnevaluatedPosition,
)
from liqwatch.redact import register_secret
from liqwatch.tiers import TierTable

log = logging.getLogger(__name__)

READ_ONLY = ReadOnlyGuard(
    "binance",
    frozenset(
        {
            ("GET", "/fapi/v1/exchangeInfo"),
            ("GET", "/fapi/v1/time"),
            ("GET", "/fapi/v1/premiumIndex"),
            ("GET", "/fapi/v1/leverageBracket"),
            ("GET", "/fapi/v1/fundingInfo"),
            ("GET", "/fapi/v1/fundingRate"),
            ("GET", "/fapi/v1/income"),
            ("GET", "/fapi/v1/markPriceKlines"),
            ("GET", "/fapi/v1/multiAssetsMargin"),  # GET only: POST on the same path switches the mode
            ("GET", "/fapi/v1/forceOrders"),  # the account's own liquidation orders (history)
            ("GET", "/fapi/v2/positionRisk"),
            ("GET", "/fapi/v2/account"),
            ("GET", "/fapi/v2/balance"),
            ("GET", "/sapi/v1/account/apiRestrictions"),
            # The user-data stream's key: needs the API key only, no signature, and moves no funds.
            ("POST", "/fapi/v1/listenKey"),
            ("PUT", "/fapi/v1/listenKey"),
            ("DELETE", "/fapi/v1/listenKey"),
        }
    ),
)
# GET /fapi/v1/markPriceKlines: "limit: Default 500; max 1500" (Binance USDⓈ-M, Mark Price Kline/Candlestick Data).
KLINES_LIMIT = 1500
AUTH_CODES = frozenset({-2014, -2015, -1022, -2008})
LISTEN_KEY_MISSING = -1125
TIMESTAMP_OUTSIDE_WINDOW = -1021
# Binance's REST gate is per IP: one per endpoint base URL, shared by every account on it.
_GATES: dict[str, RestGate] = {}


class BinanceAdapter(FeedAdapter):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.account.api_key is None or self.account.api_secret is None:
            raise ValueError(f"{self.account.name}: Binance needs an API key and secret")
        self.gate = _GATES.setdefault(self.account.rest_url, RestGate())
        self.mark = self.channel("mark", ChannelKind.MARKET)
        self.user = self.channel("user", ChannelKind.QUIET)
        self.tiers: dict[str, TierTable] = {}
        self.leverage: dict[str, float] = {}
        self.one_way_side: dict[str, Side] = {}
        self.position_mode = PositionMode.ONE_WAY
        self.listen_key: str | None = None
        self.listen_key_time = 0.0
        self.listen_key_rotations = 0
        self.keepalives = 0
        self._rotating = False
        self._subscribed: set[str] = set()
        self._sub_id = 0
        self.funding = BinanceFunding(self.account.name, self.store, self._signed, self._public)
        self._intervals: dict[str, float] = {}
        self._unbracketed: set[str] = set()
        self._vol_seeding: set[str] = set()
        self.mode_not_modelled: str | None = None  # Multi-Assets mode: read at start and in every snapshot
        self._mode_known = False
        self._liquidation_fills: set[tuple[Any, Any]] = set()
        self.market_stream: StreamRunner | None = None
        self.user_stream: StreamRunner | None = None

    # --- REST ------------------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return self.account.rest_url.rstrip("/") + path

    async def _public(self, path: str, params: dict[str, str] | None = None) -> Any:
        READ_ONLY.check("GET", path)
        return await request_json(self.session, "GET", self._url(path), gate=self.gate,
                                  timeout_s=self.opts.request_timeout_s, params=params)

    async def _signed(self, path: str, params: dict[str, str] | None = None, retry_clock: bool = True,
                      base: str | None = None) -> Any:
        READ_ONLY.check("GET", path)
        assert self.account.api_key is not None and self.account.api_secret is not None
        q = dict(params or {})
        q["timestamp"] = str(int(self.server_clock.now().timestamp() * 1000))
        q["recvWindow"] = "5000"
        query = urlencode(q)
        sig = hmac.new(self.account.api_secret.get().encode(), query.encode(), hashlib.sha256).hexdigest()
        url = f"{(base or self.account.rest_url).rstrip('/')}{path}?{query}&signature={sig}"
        try:
            return await request_json(self.session, "GET", url, gate=self.gate, timeout_s=self.opts.request_timeout_s,
                                      headers={"X-MBX-APIKEY": self.account.api_key.get()}, auth_codes=AUTH_CODES)
        except ApiError as exc:
            if exc.code == TIMESTAMP_OUTSIDE_WINDOW and retry_clock:
                await self._sync_time()
                return await self._signed(path, params, retry_clock=False, base=base)
            raise

    async def _sync_time(self) -> None:
        """Binance's clock against ours (the one receive times are read from), for signing and for judging
        frames' times; measured at every snapshot, so a jump of the local clock is absorbed."""
        before = self.clock.now()
        data = await self._public("/fapi/v1/time")
        after = self.clock.now()
        try:
            self.server_clock.measure(before, ms_time(data, "serverTime"), after)
        except WireError as exc:
            raise RestError(f"time: {exc}") from None

    async def _listen_key(self, method: str) -> Any:
        READ_ONLY.check(method, "/fapi/v1/listenKey")
        assert self.account.api_key is not None
        return await request_json(self.session, method, self._url("/fapi/v1/listenKey"), gate=self.gate,
                                  timeout_s=self.opts.request_timeout_s,
                                  headers={"X-MBX-APIKEY": self.account.api_key.get()}, auth_codes=AUTH_CODES)

    # --- bootstrap and snapshots -----------------------------------------------------------------------
    async def bootstrap(self) -> None:
        try:
            self.tiers = parse_brackets(await self._signed("/fapi/v1/leverageBracket"))
        except WireError as exc:
            raise RestError(f"leverageBracket: {exc}") from None
        except AuthError:
            await self._raise_if_portfolio_margin()
            raise
        try:
            self.mode_not_modelled = binance_multi_assets_mode(await self._signed("/fapi/v1/multiAssetsMargin"))
            self._mode_known = True
        except (AuthError, RateLimited):
            raise
        except (RestError, WireError) as exc:  # /fapi/v2/account carries the flag too: read there
            log.warning("%s: multiAssetsMargin unavailable (%s)", self.account.name, exc)
        try:
            intervals = parse_funding_info(await self._public("/fapi/v1/fundingInfo"))
        except (RestError, WireError) as exc:
            log.info("%s: fundingInfo unavailable (%s); assuming 8 h intervals", self.account.name, exc)
            intervals = {}
        self._intervals = intervals
        held = {p.symbol for p in self.store.book(self.account.name).positions()}
        self._seed_volatility(held | set(self.account.symbols))

    def _seed_volatility(self, symbols: set[str]) -> None:
        """σ of each symbol not seeded yet, from Binance's mark-price klines: once per symbol, in the
        background (the snapshot does not wait for it), never fatal (see liqwatch.feeds.candles)."""
        for symbol in sorted(symbols - self._vol_seeding):
            self._vol_seeding.add(symbol)
            self.spawn(self._seed_symbol(symbol))

    async def _seed_symbol(self, symbol: str) -> None:
        async def fetch(interval: str, count: int) -> list[CandleClose]:
            async def page(limit: int, end_ms: int | None) -> list[CandleClose]:
                # The latest candles by limit alone, then walking back by endTime: no local clock involved.
                params = {"symbol": native(symbol), "interval": interval, "limit": str(limit)}
                if end_ms is not None:
                    params["endTime"] = str(end_ms)
                return parse_mark_klines(await self._public("/fapi/v1/markPriceKlines", params))

            return await latest_pages(page, count, KLINES_LIMIT)

        await seed_volatility(self.store, Exchange.BINANCE, symbol, fetch, self.account.name)

    async def _raise_if_portfolio_margin(self) -> None:
        """The USDⓈ-M API refused the key: a Portfolio Margin account's keys lose it (see account_modes).
        Its wallet endpoints live on the spot host (the same base when rest_url points elsewhere)."""
        base = self.account.rest_url
        if base.rstrip("/") == "https://fapi.binance.com":
            base = "https://api.binance.com"
        try:
            reason = binance_portfolio_margin(await self._signed("/sapi/v1/account/apiRestrictions", base=base))
        except (RestError, WireError) as exc:
            log.info("%s: apiRestrictions unavailable (%s)", self.account.name, exc)
            return
        if reason is not None:
            raise ModeNotModelled(reason)

    async def fetch_snapshot(self) -> AccountState:
        await self._sync_time()
        # Binance's time, a second early: a stream event from just before the request is in the snapshot
        # anyway, while one the snapshot could predate must never be overwritten by it.
        as_of = self.server_clock.now() - timedelta(seconds=1)
        try:
            account = await self._signed("/fapi/v2/account")
            risk = await self._signed("/fapi/v2/positionRisk")
            marks = await self._public("/fapi/v1/premiumIndex")
            wallet = parse_account_wallet(account)
            reported_equity = parse_account_margin_balance(account)
            account_marks = parse_account_marks(account)
            if isinstance(account, dict) and "multiAssetsMargin" in account:  # v2 carries it: a switch shows
                self.mode_not_modelled, self._mode_known = binance_multi_assets_mode(account), True
            if not self._mode_known:  # never "ok" under rules that may not be the account's
                self.mode_not_modelled = "Binance account mode unknown (multiAssetsMargin unreadable)"
            wire = [parse_position_risk(i) for i in risk]
            self._apply_marks(marks, {w.symbol for w in wire if w.side is not None})
        except WireError as exc:
            raise RestError(f"snapshot: {exc}") from None
        for sym, hours in self._intervals.items():
            self.store.set_funding_interval(Exchange.BINANCE, sym, hours)
        if any(w.symbol not in self.tiers for w in wire if w.side is not None):
            self.tiers.update(parse_brackets(await self._signed("/fapi/v1/leverageBracket")))
        positions: list[Position] = []
        unevaluated: list[UnevaluatedPosition] = []
        for w in wire:
            if w.leverage is not None:
                self.leverage[w.symbol] = w.leverage
            if w.position_side in ("LONG", "SHORT"):
                self.position_mode = PositionMode.HEDGE
            if w.side is None:
                continue
            pos = self._position(w) if w.entry_price > 0 else self._unevaluated(w, "entry price 0")
            if isinstance(pos, Position):
                # The account response's own mark (only a fallback for the book, which uses the market's).
                positions.append(replace(pos, mark_price=account_marks.get((w.symbol, w.position_side),
                                                                           pos.mark_price)))
            elif pos is not None:
                unevaluated.append(pos)
            if w.position_side == "BOTH":
                self.one_way_side[w.symbol] = w.side
        await self._fetch_funding()
        return AccountState(AccountSpec(self.account.name, Exchange.BINANCE, self.position_mode), wallet,
                            tuple(positions), as_of=as_of, exchange_margin_balance=reported_equity,
                            unevaluated=tuple(unevaluated), mode_not_modelled=self.mode_not_modelled)

    async def _fetch_funding(self) -> None:
        await self.funding.fetch(self.position_mode)

    def _unevaluated(self, w: WirePosition, reason: str) -> UnevaluatedPosition:
        assert w.side is not None
        return UnevaluatedPosition(
            w.symbol, w.side, w.size, reason, entry_price=w.entry_price if w.entry_price > 0 else None,
            mark_price=w.mark_price, margin_mode=w.margin_mode, leverage=w.leverage or self.leverage.get(w.symbol),
            exchange_liquidation_price=w.liquidation_price,
        )

    def _position(self, w: WirePosition) -> Position | UnevaluatedPosition | None:
        """The position, or what is known of it and why it cannot be evaluated (never dropped)."""
        if w.side is None:
            return None
        tiers = self.tiers.get(w.symbol)
        if tiers is None:
            if w.symbol not in self._unbracketed:  # once per symbol, not on every reconciliation
                self._unbracketed.add(w.symbol)
                self.store.incidents.append(f"{self.account.name}: no leverage bracket for {w.symbol}; not evaluated")
            return self._unevaluated(w, "no leverage bracket")
        if w.margin_mode is MarginMode.ISOLATED and w.isolated_wallet is None:
            return self._unevaluated(w, "no isolated wallet")
        return Position(
            symbol=w.symbol, side=w.side, size=w.size, entry_price=w.entry_price, margin_mode=w.margin_mode,
            tiers=tiers, position_mode=self.position_mode, leverage=w.leverage or self.leverage.get(w.symbol),
            isolated_margin=w.isolated_wallet, mark_price=w.mark_price,
            exchange_liquidation_price=w.liquidation_price,
        )

    def after_snapshot(self, state: AccountState) -> None:
        self._ensure_mark_stream({p.symbol for p in state.positions} | {u.symbol for u in state.unevaluated})

    def _ensure_mark_stream(self, symbols: set[str]) -> None:
        """Subscribe the marks of symbols we hold and do not watch yet (a position opened on the stream)."""
        self._seed_volatility(symbols)  # and seed their σ, once per symbol
        new = self._wanted_streams(symbols) - self._subscribed
        if new and self.market_stream is not None and self.market_stream.connected:
            self._subscribed.update(new)  # at once, so that a burst of events subscribes once
            self.spawn(self._subscribe(sorted(new)))

    # --- streams ---------------------------------------------------------------------------------------
    def _wanted_streams(self, symbols: set[str]) -> set[str]:
        syms = set(symbols) | set(self.account.symbols)
        if not syms:
            syms = {"BTC/USDT:USDT"}  # a heartbeat of real data even with no position open
        return {f"{native(s).lower()}@markPrice@1s" for s in syms}

    def build_streams(self) -> list[StreamRunner]:
        ws = self.account.ws_url.rstrip("/")

        async def market_url() -> str:
            held = {p.symbol for p in self.store.book(self.account.name).positions()}
            self._subscribed = self._wanted_streams(held)
            return f"{ws}/market/stream?streams=" + "/".join(sorted(self._subscribed))

        async def user_url() -> str:
            if self.listen_key is None:
                await self._new_listen_key()
            return f"{ws}/private/ws?listenKey={self.listen_key}"

        self.market_stream = StreamRunner(
            "market", self.session, market_url, self._open_market,
            self.guarded("market", self._on_market_frame, lambda: self.market_stream),
            set_down([self.mark]), self.clock, self.opts, on_undecodable=self.undecodable("market"),
        )
        self.user_stream = StreamRunner(
            "user", self.session, user_url, self._open_user,
            self.guarded("user", self._on_user_frame, lambda: self.user_stream),
            set_down([self.user]), self.clock, self.opts, on_undecodable=self.undecodable("user"),
        )
        return [self.market_stream, self.user_stream]

    def stream_of(self, channel: Channel) -> StreamRunner | None:
        return self.market_stream if channel is self.mark else self.user_stream

    async def _open_market(self, ws: WS) -> None:
        self.mark.subscribed(self.clock.monotonic())
        self.replace_task("resync-market", self._resync_marks())

    async def _resync_marks(self) -> None:
        """The market socket needs fresh marks, not the whole account: one public call."""
        backoff = Backoff(self.opts.backoff_base_s, 2.0, self.opts.backoff_cap_s)
        self.mark.resyncing("REST resync")
        while True:
            try:
                held = {p.symbol for p in self.store.book(self.account.name).positions()}
                self._apply_marks(await self._public("/fapi/v1/premiumIndex"), held)
                self.resyncs += 1
                self.mark.synced(self.clock.monotonic())
                return
            except (RestError, WireError) as exc:
                self.last_error = f"premiumIndex: {exc}"
                self.mark.detail = f"resync failed: {self.last_error}"
            if self.market_stream is None or not self.market_stream.connected:
                return
            await asyncio.sleep(max(0.05, backoff.next_delay()))

    def _apply_marks(self, marks: Any, held: set[str]) -> None:
        """premiumIndex (every symbol) -> the marks of what we hold or were asked to watch."""
        now = self.clock.now()
        # Matched on Binance's own names: the list also holds contracts we cannot (and need not) map, such
        # as quarterly BTCUSDT_250627, and only our few symbols are worth parsing.
        watched = {native(s) for s in held | set(self.account.symbols)}
        for item in marks if isinstance(marks, list) else [marks]:
            if isinstance(item, dict) and item.get("symbol") in watched:
                self.store.apply(parse_premium_index(item, now))

    async def _open_user(self, ws: WS) -> None:
        self.user.subscribed(self.clock.monotonic())
        # Stream events apply at once; the snapshot cannot undo them (the store keeps what is newer).
        self.replace_task("resync-user", self._resync_user())

    async def _resync_user(self) -> None:
        await self.resync_until_ok([self.user], self.user_stream)

    async def resubscribe(self, channel: Channel) -> None:
        if channel is self.mark and self.market_stream is not None and self.market_stream.connected:
            streams = sorted(self._subscribed)
            self._sub_id += 1
            try:
                await self.market_stream.send_json({"method": "UNSUBSCRIBE", "params": streams, "id": self._sub_id})
                await self._subscribe(streams)
            except ConnectionError:
                pass

    async def _subscribe(self, streams: list[str]) -> None:
        if self.market_stream is None:
            return
        self._sub_id += 1
        await self.market_stream.send_json({"method": "SUBSCRIBE", "params": streams, "id": self._sub_id})
        self._subscribed.update(streams)

    def _on_market_frame(self, raw: str, mono: float, receive: datetime) -> None:
        self.record("market", raw, receive)
        try:
            msg = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.bad_frame("market", raw, "not JSON", self.market_stream)
            return
        if isinstance(msg, dict) and "result" in msg and "id" in msg:
            return  # a SUBSCRIBE/UNSUBSCRIBE acknowledgement: proves nothing about data
        data = msg.get("data", msg) if isinstance(msg, dict) else msg
        items = data if isinstance(data, list) else [data]
        for item in items:
            if not isinstance(item, dict):
                self.bad_frame("market", raw, "unexpected shape", self.market_stream)
                return
            if item.get("e") != "markPriceUpdate":
                self.unknown_event("market", str(item.get("e")))
                continue
            try:
                tick = parse_premium_index(item, receive)
            except WireError as exc:
                self.bad_frame("market", raw, str(exc), self.market_stream)
                continue
            # Counts as data for the mark channel only once the store has applied it.
            self.accept_tick("market", raw, tick, self.mark, mono, self.market_stream)

    def _on_user_frame(self, raw: str, mono: float, receive: datetime) -> None:
        self.record("user", raw, receive)
        try:
            event = orjson.loads(raw)
        except orjson.JSONDecodeError:
            self.bad_frame("user", raw, "not JSON", self.user_stream)
            return
        if not isinstance(event, dict):
            self.bad_frame("user", raw, "unexpected shape", self.user_stream)
            return
        kind = event.get("e")
        if "E" in event:
            try:
                when = ms_time(event, "E")
            except WireError as exc:
                self.bad_frame("user", raw, str(exc), self.user_stream)
                return
            if not self.time_ok("user", raw, when, receive, self.user_stream):
                return
        if kind == "listenKeyExpired":
            self.user.data(mono)
            if event.get("listenKey") in (None, self.listen_key):
                self._request_rotation("listenKeyExpired")
            return
        if kind == "MARGIN_CALL":
            self.user.data(mono)
            self.store.incidents.append(f"{self.account.name}: Binance MARGIN_CALL (risk guidance from the exchange)")
            return
        if kind == "ORDER_TRADE_UPDATE":
            self.user.data(mono)
            self._note_liquidation(event)
            return
        if kind != "ACCOUNT_UPDATE":
            self.unknown_event("user", str(kind))
            return
        if self._apply_user_event(event, receive):
            self.user.data(mono)
            a = event.get("a")
            if isinstance(a, dict) and a.get("m") == "FUNDING_FEE":
                # A settlement: book it while the legs still have the sizes they were funded on.
                self.spawn(self._fetch_funding())

    def _note_liquidation(self, event: Any) -> None:
        """A read-only monitor places no orders: the only fills it must report are the exchange's own
        liquidation and auto-deleveraging orders (``ot`` LIQUIDATION/ADL, client id ``autoclose-``/``adl_``).
        A liquidation is kept by the store (listed as LIQUIDATED until acknowledged); each fill of the order
        (Binance may take a position in slices, tier by tier) adds the size it took."""
        order = event.get("o")
        if not isinstance(order, dict) or order.get("X") not in ("FILLED", "PARTIALLY_FILLED"):
            return
        client_id = str(order.get("c", ""))
        kind = "liquidated" if order.get("ot") == "LIQUIDATION" or client_id.startswith("autoclose-") else (
            "auto-deleveraged" if order.get("ot") == "ADL" or client_id.startswith("adl_") else None)
        if kind is None:
            return
        try:
            symbol = unified(str(order.get("s")))
        except WireError:
            symbol = str(order.get("s"))
        if kind == "liquidated":
            liq = self._liquidation_of(order, symbol, event)
            if liq is not None:
                self.store.record_liquidation(liq)
                return
        if order.get("X") == "FILLED":
            self.store.incidents.append(
                f"{self.account.name}: {symbol} {kind} by Binance at {order.get('ap') or order.get('p')}"
            )

    def _liquidation_of(self, order: dict[str, Any], symbol: str, event: Any) -> LiquidatedPosition | None:
        """One liquidation fill -> the slice it took; None when it cannot be read (then only an incident)."""
        fill_id = (order.get("i"), order.get("t"))
        if fill_id in self._liquidation_fills:
            return None  # the same fill twice: counted once
        try:
            taken = float(order.get("l") or order.get("z") or 0.0)
            price = float(order.get("L") or order.get("ap") or order.get("p") or 0.0) or None
            pnl = float(order["rp"]) if order.get("rp") not in (None, "") else None
            when = datetime.fromtimestamp(float(order.get("T") or event.get("E")) / 1000.0, UTC)
        except (TypeError, ValueError):
            return None
        ps = order.get("ps")
        side = Side.LONG if ps == "LONG" else Side.SHORT if ps == "SHORT" else (
            Side.LONG if order.get("S") == "SELL" else Side.SHORT)  # one-way: a SELL closes a long
        if not taken > 0:
            return None
        if None not in fill_id:
            self._liquidation_fills.add(fill_id)
        held = next((p for p in self.store.book(self.account.name).positions() if p.key == (symbol, side)), None)
        before = held.size if held is not None else None
        return LiquidatedPosition(self.account.name, symbol, side, taken, price, when, before, pnl,
                                  is_partial(taken, before))

    async def liquidation_history(self, closed: ClosedSinceLastRun) -> LiquidatedPosition | None:
        start = str(int(self.server_clock.exchange_time(closed.since).timestamp() * 1000) - 60_000)
        params = {"symbol": native(closed.symbol), "autoCloseType": "LIQUIDATION", "startTime": start}
        liq = binance_force_orders(self.account.name, closed, await self._signed("/fapi/v1/forceOrders", params))
        if liq is None:
            return None
        at = int(liq.time.timestamp() * 1000)
        income = await self._signed("/fapi/v1/income", {"symbol": native(closed.symbol), "incomeType": "REALIZED_PNL",
                                                         "startTime": str(at - 1000), "endTime": str(at + 1000)})
        return replace(liq, realized_pnl=binance_realized(income))

    def _apply_user_event(self, event: Any, receive: datetime) -> bool:
        """One ACCOUNT_UPDATE, whole or not at all: every change is built (and checked) before the first is
        applied, so a frame with one bad position changes nothing, not even the wallet. True when applied."""
        try:
            upd = parse_account_update(event, receive)
            changes, held, one_way = self._user_changes(upd)
        except (WireError, ValueError) as exc:
            self.bad_frame("user", orjson.dumps(event).decode(), str(exc), self.user_stream)
            return False
        applied = [self.store.apply(e) for e in changes]
        for symbol, side in one_way.items():
            if side is None:
                self.one_way_side.pop(symbol, None)
            else:
                self.one_way_side[symbol] = side
        if held:
            self._ensure_mark_stream(held)
        return not changes or any(applied)

    def _user_changes(self, upd: AccountUpdate
                      ) -> tuple[list[BalanceUpdate | PositionUpdate], set[str], dict[str, Side | None]]:
        """The store events of one ACCOUNT_UPDATE, the symbols it holds and the one-way sides it sets (None:
        forgotten); raises on anything unusable, before anything is applied."""
        changes: list[BalanceUpdate | PositionUpdate] = []
        one_way: dict[str, Side | None] = {}
        if upd.cross_wallet is not None:
            changes.append(BalanceUpdate(self.account.name, upd.cross_wallet, upd.stamp))
        book = self.store.book(self.account.name)
        held: set[str] = set()
        for w in upd.positions:
            if w.position_side == "BOTH":
                prev = self.one_way_side.get(w.symbol)
                if prev is not None and prev is not w.side:
                    # A one-way position that closed or flipped: its old leg is gone.
                    changes.append(PositionUpdate(self.account.name, (w.symbol, prev), None, upd.stamp))
                    one_way[w.symbol] = None
            if w.side is None:
                sides = (Side.LONG, Side.SHORT) if w.position_side == "BOTH" else (
                    (Side.LONG,) if w.position_side == "LONG" else (Side.SHORT,))
                changes.extend(PositionUpdate(self.account.name, (w.symbol, s), None, upd.stamp) for s in sides)
                continue
            if not w.entry_price > 0:
                raise WireError(f"{w.symbol}: an open position with entry price {w.entry_price:g}")
            old = next((p for p in book.positions() if p.key == (w.symbol, w.side)), None)
            unchanged = old is not None and old.size == w.size and old.entry_price == w.entry_price
            merged = WirePosition(
                w.symbol, w.side, w.size, w.entry_price, w.margin_mode, w.isolated_wallet, w.position_side,
                leverage=self.leverage.get(w.symbol),
                # Binance's own price holds only for the position it was computed for.
                liquidation_price=old.exchange_liquidation_price if old is not None and unchanged else None,
            )
            pos = self._position(merged)
            if pos is not None:
                changes.append(PositionUpdate(self.account.name, pos.key, pos, upd.stamp))
                held.add(w.symbol)
                if w.position_side == "BOTH":
                    one_way[w.symbol] = w.side
        return changes, held, one_way

    # --- listen key ------------------------------------------------------------------------------------
    async def _new_listen_key(self) -> None:
        data = await self._listen_key("POST")
        key = data.get("listenKey") if isinstance(data, dict) else None
        if not isinstance(key, str) or not key:
            raise RestError("listenKey: no key in the answer")
        register_secret(key)
        self.listen_key = key
        self.listen_key_time = self.clock.monotonic()

    def _request_rotation(self, why: str) -> None:
        if self._rotating:
            return  # duplicate triggers (two listenKeyExpired in a row) coalesce into one rotation
        self._rotating = True
        self.user.resyncing(f"rotating listen key ({why})")
        self.spawn(self._rotate(why))

    async def _rotate(self, why: str) -> None:
        try:
            delay = 1.0
            while True:
                try:
                    await self._new_listen_key()  # the old key stays in place until a new one is in hand
                    break
                except RestError as exc:
                    self.last_error = f"listen key rotation failed: {exc}"
                    self.store.incidents.append(f"{self.account.name}: {self.last_error}")
                    await asyncio.sleep(delay)
                    delay = min(30.0, delay * 2)
            self.listen_key_rotations += 1
            log.info("%s: listen key rotated (%s)", self.account.name, why)
            if self.user_stream is not None:
                self.user_stream.force_reconnect(f"listen key rotated ({why})")
        finally:
            self._rotating = False

    async def _keepalive(self) -> None:
        try:
            await self._listen_key("PUT")
            self.keepalives += 1
            self.listen_key_time = self.clock.monotonic()
        except ApiError as exc:
            self._request_rotation("keepalive: listen key does not exist" if exc.code == LISTEN_KEY_MISSING
                                   else f"keepalive failed: {exc}")
        except RestError as exc:
            self._request_rotation(f"keepalive failed: {exc}")

    def on_supervise(self, now: float) -> None:
        if (self.listen_key is not None and not self._rotating
                and now - self.listen_key_time >= self.opts.listen_key_keepalive_s):
            self.listen_key_time = now  # one keepalive per period, even while the PUT is in flight
            self.spawn(self._keepalive())
        for s in self.streams:
            if s.connected and s.opened_at is not None and now - s.opened_at >= self.opts.max_connection_age_s:
                s.force_reconnect("scheduled reconnect before Binance's 24 h cut")
