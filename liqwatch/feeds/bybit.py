"""Bybit v5 adapter (unified trading account, linear USDT perpetuals): signed REST snapshots and two sockets,
public ``/v5/public/linear`` (``tickers.<symbol>``: a snapshot, then deltas applied onto it per symbol) and
private ``/v5/private`` (``auth``, then ``position``, ``wallet`` and ``execution``).

Bybit cuts a socket without heartbeat, so each gets ``{"op": "ping"}`` every ``ping_interval_s`` (20 s),
whatever the data. A delta for a symbol whose snapshot we do not hold is a resync: the topic is subscribed
again (Bybit answers with a snapshot). The margin mode is the account's (``account/info``, UTA 2.0); a
position's margins are at its entry with the fee to close (liqwatch.risk.bybit).
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
from datetime import datetime
from typing import Any

from liqwatch.feed_events import AccountWarnings, FundingIntervalKnown
from liqwatch.feeds.adapter import ModeNotModelled
from liqwatch.feeds.adapter_frames import Apply
from liqwatch.feeds.adapter_streams import FrameRoutes, StreamSpec
from liqwatch.feeds.bybit_client import DEFAULT_TAKER_FEE_RATE, FEE_RATE_FALLBACK_NOTE, READ_ONLY, BybitClient
from liqwatch.feeds.bybit_wire import (
    WirePosition,
    margin_mode_of,
    native,
    parse_bust_trades,
    parse_fee_rates,
    parse_funding,
    parse_funding_intervals,
    parse_mark_klines,
    parse_position,
    parse_price_bounds,
    parse_risk_limits,
    parse_wallet,
    result_list,
    ticker_tick,
)
from liqwatch.feeds.candles import latest_pages, seed_volatility
from liqwatch.feeds.rest import AuthError, RestError
from liqwatch.feeds.stream import WS, send_guarded
from liqwatch.feeds.wire import CandleClose, WireError, opt_ms_time
from liqwatch.funding_ledger import FundingPaid
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import (
    AccountSpec,
    AccountState,
    BalanceUpdate,
    Exchange,
    MarginMode,
    Position,
    PositionUpdate,
    Stamp,
    UnevaluatedPosition,
)
from liqwatch.redact import redact, register_signature
from liqwatch.tiers import TierTable

__all__ = ["READ_ONLY", "BybitAdapter"]

log = logging.getLogger("liqwatch.feeds.bybit")
KLINE_LIMIT = 1000  # market/mark-price-kline: limit [1, 1000]
_KLINE_INTERVAL = {"1m": "1", "1h": "60"}
PRIVATE_TOPICS = ("position", "wallet", "execution")


class BybitAdapter(BybitClient):
    mark_stream_name = "public"
    heartbeat_symbol = "BTC/USDT:USDT"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tickers: dict[str, dict[str, Any]] = {}  # per topic: the snapshot with every delta applied
        self._last_ping = 0.0
        self.pings = 0
        self.delta_resyncs = 0

    # --- REST --------------------------------------------------------------------------------------------
    async def bootstrap(self) -> None:
        await self._sync_time()
        await self._check_key()
        await self._read_mode()
        try:
            self.tiers = self._risk_limits(await self._public("/v5/market/risk-limit", {"category": "linear"}))
            instruments = await self._instruments()
            # A row that cannot be read costs its symbol that value only (counted, said why), not the bootstrap.
            intervals_refused: dict[str, str] = {}
            bounds_refused: dict[str, str] = {}
            self.intervals = parse_funding_intervals(instruments, intervals_refused)
            self.price_bounds = parse_price_bounds(instruments, bounds_refused)
        except WireError as exc:
            raise RestError(f"markets: {exc}") from None
        for sym, why in [*intervals_refused.items(), *bounds_refused.items()]:
            self.bad_item("instruments-info", sym, why)
        try:
            self.fee_rates = parse_fee_rates(await self._signed("/v5/account/fee-rate", {"category": "linear"}))
            if self.fee_rate_fallback:  # read again at a restart: the note about the default rate goes
                self.fee_rate_fallback = False
                self.emit(AccountWarnings(self.account.name, self.key_warnings))
        except AuthError:
            raise
        except (RestError, WireError) as exc:  # without it, Bybit's default rate: said on screen, not hidden
            self.fee_rates, self.fee_rate_fallback = {}, True
            log.warning("%s: fee-rate unavailable (%s): the fee to close at Bybit's default taker rate %g",
                        self.account.name, exc, DEFAULT_TAKER_FEE_RATE)
            self.emit(AccountWarnings(self.account.name, (*self.key_warnings, FEE_RATE_FALLBACK_NOTE)))
        for sym, hours in self.intervals.items():
            self.emit(FundingIntervalKnown(Exchange.BYBIT, sym, hours))

    def _risk_limits(self, payload: Any) -> dict[str, TierTable]:
        """The tiers of every symbol whose rows can be read; each left out is counted and logged."""
        refused: dict[str, str] = {}
        tables = parse_risk_limits(payload, refused)
        for sym, why in refused.items():
            self.bad_item("risk-limit", sym, why)
        return tables

    async def _read_mode(self) -> None:
        try:
            self.margin_mode, self.mode_not_modelled = margin_mode_of(await self._signed("/v5/account/info"))
        except WireError as exc:
            raise RestError(f"account/info: {exc}") from None
        if self.mode_not_modelled is not None:
            raise ModeNotModelled(self.mode_not_modelled)

    async def seed_symbol(self, symbol: str) -> None:
        async def fetch(interval: str, count: int) -> list[CandleClose]:
            async def page(limit: int, end_ms: int | None) -> list[CandleClose]:
                params = {"category": "linear", "symbol": native(symbol), "interval": _KLINE_INTERVAL[interval],
                          "limit": str(limit)}
                if end_ms is not None:
                    params["end"] = str(end_ms)
                rows = parse_mark_klines(await self._public("/v5/market/mark-price-kline", params))
                return [CandleClose(t, c) for t, c in rows]

            return await latest_pages(page, count, KLINE_LIMIT)

        await seed_volatility(self.sink, Exchange.BYBIT, symbol, fetch, self.account.name)

    async def fetch_snapshot(self) -> AccountState:
        await self._sync_time()
        as_of = self.early_as_of()
        await self._read_mode()
        mode = self.margin_mode or MarginMode.CROSS
        try:
            rows = await self._position_list()
            wire, unreadable = self._read_rows(rows)
            (wallet_row,) = result_list(await self._signed("/v5/account/wallet-balance",
                                                           {"accountType": "UNIFIED"}), "wallet-balance")
            wallet = parse_wallet(wallet_row)
            tickers = result_list(await self._public("/v5/market/tickers", {"category": "linear"}), "tickers")
            executions = result_list(await self._signed("/v5/execution/list",
                                                        {"category": "linear", "execType": "Funding"}), "executions")
        except ValueError as exc:  # WireError, or not exactly one UNIFIED wallet
            raise RestError(f"snapshot: {exc}") from None
        if any(w.symbol not in self.tiers for w in wire if w.side is not None):
            self.tiers.update(self._risk_limits(await self._public("/v5/market/risk-limit", {"category": "linear"})))
        positions: list[Position] = []
        unevaluated: list[UnevaluatedPosition] = list(unreadable)
        for w in wire:
            pos = self.position_of(w, mode)
            if isinstance(pos, Position):
                positions.append(pos)
            elif pos is not None:
                unevaluated.append(pos)
        held = {w.symbol for w in wire if w.side is not None}
        now = self.server_clock.now()
        wanted = {native(s) for s in held | set(self.account.symbols)}
        for row in tickers:
            if isinstance(row, dict) and str(row.get("symbol")) in wanted:
                try:
                    self.apply_rest_mark("tickers", ticker_tick(row, Stamp(now, self.clock.now())))
                except WireError as exc:
                    self.bad_item("tickers", row, str(exc))
        pays = self.plausible_records("execution", parse_funding(executions), lambda p: p.time)
        if pays:
            self.emit(FundingPaid(self.account.name, tuple(pays)))
        return AccountState(AccountSpec(self.account.name, Exchange.BYBIT), self._cross_wallet(wallet.margin_balance,
                            wire, mode), tuple(positions), as_of=as_of, exchange_margin_balance=wallet.margin_balance,
                            unevaluated=tuple(unevaluated), exchange_available_balance=wallet.available)

    @staticmethod
    def _cross_wallet(margin_balance: float, wire: list[WirePosition], mode: MarginMode) -> float:
        """The cross wallet the engine measures cross risk on: Bybit's margin balance (collateral at its
        ratio, less the borrow and the interest accrued) without any PnL and without isolated margins."""
        upnl = sum(w.unrealised_pnl for w in wire if w.side is not None)
        isolated = sum(w.position_margin for w in wire if w.side is not None) if mode is MarginMode.ISOLATED else 0.0
        return margin_balance - upnl - isolated

    # --- streams -----------------------------------------------------------------------------------------
    def stream_specs(self) -> list[StreamSpec]:
        base = self.account.ws_url.rstrip("/")

        async def public_url() -> str:
            return f"{base}/v5/public/linear"

        async def private_url() -> str:
            return f"{base}/v5/private"

        public = FrameRoutes(event_type=_kind, handlers={"tickers": self._on_ticker, "subscribe": self._on_ack},
                             ignored=frozenset({"ping", "pong", "unsubscribe"}))
        private = FrameRoutes(event_type=_kind, handlers={"auth": self._on_auth, "subscribe": self._on_ack,
                                                          "position": self._on_position, "wallet": self._on_wallet,
                                                          "execution": self._on_execution},
                              ignored=frozenset({"ping", "pong", "unsubscribe"}))
        return [StreamSpec("public", public_url, self._open_public, (self.mark,), public, app_ping=self._ping,
                           on_renew=self._renew_public),
                StreamSpec("private", private_url, self._open_private, (self.user,), private, app_ping=self._ping,
                           on_renew=self._auth_and_subscribe)]

    async def _ping(self, ws: WS) -> None:
        self.pings += 1
        await send_guarded(ws, {"op": "ping"})

    def on_supervise(self, now: float) -> None:
        """Bybit's rule is a ping every 20 s from the client, data or not (the stream's own ping is for silence)."""
        if now - self._last_ping < self.opts.ping_interval_s:
            return
        self._last_ping = now
        for name in ("public", "private"):
            stream = self.runner(name)
            if stream is not None and stream.connected:
                self.pings += 1
                self.spawn(_quietly(stream.send_all([{"op": "ping"}])))

    async def _open_public(self, ws: WS) -> None:
        self._tickers.clear()  # a new socket starts from new snapshots
        topics = self.open_topics()
        self.mark.source = f"tickers at {self.account.ws_url.rstrip('/')}/v5/public/linear"
        await self.subscribe_marks(ws, topics)
        self.stream_opened("public")

    async def _renew_public(self, ws: WS) -> None:
        """A renewal's new socket: the same topics (each answered with a snapshot), no resync meanwhile."""
        sent: set[str] = set()
        while todo := sorted(self.mark_topics - sent):  # and a topic the old socket took on meanwhile
            await self.subscribe_marks(ws, todo)
            sent.update(todo)

    async def _open_private(self, ws: WS) -> None:
        await self._auth_and_subscribe(ws)
        self.stream_opened("private")

    async def _auth_and_subscribe(self, ws: WS) -> None:
        assert self.account.api_key is not None and self.account.api_secret is not None
        expires = str(int(self.server_clock.now().timestamp() * 1000) + 10_000)
        sig = hmac.new(self.account.api_secret.get().encode(), f"GET/realtime{expires}".encode(),
                       hashlib.sha256).hexdigest()
        register_signature(sig)  # before sending: Bybit may echo it in its refusal, which is shown and recorded
        await send_guarded(ws, {"op": "auth", "args": [self.account.api_key.get(), expires, sig]})
        await send_guarded(ws, {"op": "subscribe", "args": list(PRIVATE_TOPICS)})

    def mark_topic(self, symbol: str) -> str:
        return f"tickers.{native(symbol)}"

    def mark_messages(self, topics: list[str], subscribe: bool) -> list[dict[str, Any]]:
        return [{"op": "subscribe" if subscribe else "unsubscribe", "args": topics}] if topics else []

    def _on_ack(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply | None:
        if msg.get("success") is False:
            log.warning("%s: Bybit refused a subscription: %s", self.account.name, str(msg.get("ret_msg"))[:120])
        return None

    def _on_auth(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply | None:
        if msg.get("success") is True:
            return None
        why = redact(str(msg.get("ret_msg")))[:120]  # redacted before cut: a cut signature would escape redact
        return lambda: self.key_refused(AuthError(f"bybit: private websocket auth refused: {why}"))

    def _on_ticker(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply | None:
        topic, data, kind = str(msg.get("topic")), msg.get("data"), msg.get("type")
        if not isinstance(data, dict):
            raise WireError("tickers without data")
        held = self._tickers.get(topic)
        if kind == "delta" and held is None:
            # A delta onto nothing: resync the topic (subscribed again, Bybit answers with a snapshot).
            self.delta_resyncs += 1
            self.spawn(_quietly(self._resubscribe_topic(topic)))
            return None
        merged = dict(data) if kind == "snapshot" else {**(held or {}), **data}
        when = opt_ms_time(msg, "ts")
        tick = ticker_tick(merged, Stamp(self.stamp_time(when, receive), receive))
        if when is not None:
            self.judge_time(when, receive)
        effect = self.judged_tick(tick, self.mark, mono)

        def apply() -> None:
            self._tickers[topic] = merged
            effect()

        return apply

    async def _resubscribe_topic(self, topic: str) -> None:
        stream = self.runner("public")
        if stream is not None and stream.connected:
            await stream.send_all([*self.mark_messages([topic], False), *self.mark_messages([topic], True)])

    def _judged_creation(self, msg: dict[str, Any], receive: datetime) -> datetime:
        """A private frame's ``creationTime``, judged like every exchange time (raises ImplausibleTime)."""
        created = opt_ms_time(msg, "creationTime")
        if created is not None:
            self.judge_time(created, receive)
        return self.stamp_time(created, receive)

    def _on_position(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        rows = msg.get("data")
        if not isinstance(rows, list):
            raise WireError("position without data")
        wire = [parse_position(r) for r in rows]
        mode = self.margin_mode or MarginMode.CROSS
        when = self._judged_creation(msg, receive)
        for w in wire:  # each row's own time judged too: one implausible time refuses the whole frame
            if w.updated is not None:
                self.judge_time(w.updated, receive)
        updates: list[PositionUpdate] = []
        for w in wire:
            stamp = Stamp(w.updated or when, receive)
            if w.side is None:  # closed: size 0, side ""; one-way, so the leg held of that symbol
                updates.extend(PositionUpdate(self.account.name, p.key, None, stamp)
                               for p in self.held.positions() if p.symbol == w.symbol)
                continue
            pos = self.position_of(w, mode)
            if pos is not None:
                updates.append(PositionUpdate(self.account.name, (w.symbol, w.side), pos, stamp))

        def apply() -> None:
            for u in updates:
                self.emit(u)
            self.user.data(mono)
            self.hold_symbols({u.key[0] for u in updates if u.position is not None})

        return apply

    def _on_wallet(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        rows = msg.get("data")
        if not isinstance(rows, list) or len(rows) != 1:
            raise WireError("wallet without one account")
        wallet = parse_wallet(rows[0])
        when = self._judged_creation(msg, receive)

        def apply() -> None:
            held = self.held.positions()
            isolated = sum(p.isolated_margin or 0.0 for p in held if p.margin_mode is MarginMode.ISOLATED)
            self.emit(BalanceUpdate(self.account.name, wallet.margin_balance - wallet.perp_upl - isolated,
                                    Stamp(when, receive)))
            self.user.data(mono)

        return apply

    def _on_execution(self, msg: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        rows = msg.get("data")
        if not isinstance(rows, list):
            raise WireError("execution without data")
        pays = parse_funding(rows)
        busts = parse_bust_trades(rows)
        self._judged_creation(msg, receive)
        for p in pays:
            self.judge_time(p.time, receive)
        for b in busts:  # a liquidation's execTime judged like every exchange time: never booked from the future
            self.judge_time(b.time, receive)

        def apply() -> None:
            if pays:
                self.emit(FundingPaid(self.account.name, tuple(pays)))
            for b in busts:  # Bybit's own liquidation of the position: kept, listed as LIQUIDATED
                held = self.held.get((b.symbol, b.side))
                self.sink.record_liquidation(LiquidatedPosition(
                    self.account.name, b.symbol, b.side, b.size, b.price, b.time,
                    size_before=held.size if held is not None else None))
            self.user.data(mono)

        return apply


def _kind(event: dict[str, Any]) -> str:
    """A Bybit frame's type: its topic's family (``tickers.BTCUSDT`` -> tickers), else its ``op``."""
    topic = event.get("topic")
    if isinstance(topic, str):
        return topic.split(".", 1)[0]
    op = event.get("op")
    if op is None or isinstance(op, str):
        return str(op)
    raise WireError("op is not a string")


async def _quietly(coro: Any) -> None:
    with contextlib.suppress(ConnectionError):  # the socket went down meanwhile: its reopening does it anew
        await coro
