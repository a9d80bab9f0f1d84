"""Binance USDⓈ-M adapter, its market side: the routed mark-price stream (``/market/stream``), its
subscriptions as positions open, and the REST resync of marks (``premiumIndex``) after a reconnect."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from liqwatch.feed_channel import Channel
from liqwatch.feeds.adapter_frames import NOT_JSON
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.binance_client import BinanceClient
from liqwatch.feeds.binance_wire import native, parse_premium_index
from liqwatch.feeds.rest import RestError
from liqwatch.feeds.stream import WS
from liqwatch.feeds.wire import WireError
from liqwatch.model import AccountState


def streams_named(streams: set[str], shown: int = 3) -> str:
    """A few of the streams subscribed, for a message: "btcusdt@markPrice@1s, ethusdt@markPrice@1s (+4 more)"."""
    names = sorted(streams)
    more = f" (+{len(names) - shown} more)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


class BinanceMarket(BinanceClient):
    """The mark-price stream of the symbols held or watched."""


    def after_snapshot(self, state: AccountState) -> None:
        self._ensure_mark_stream({p.symbol for p in state.positions} | {u.symbol for u in state.unevaluated})

    def _ensure_mark_stream(self, symbols: set[str]) -> None:
        """Subscribe the marks of symbols we hold and do not watch yet (a position opened on the stream)."""
        self._seed_volatility(symbols)  # and seed their σ, once per symbol
        new = self._wanted_streams(symbols) - self._subscribed
        if new and self.market_stream is not None and self.market_stream.connected:
            self._subscribed.update(new)  # at once, so that a burst of events subscribes once
            self.spawn(self._subscribe(sorted(new)))

    def _wanted_streams(self, symbols: set[str]) -> set[str]:
        syms = set(symbols) | set(self.account.symbols)
        if not syms:
            syms = {"BTC/USDT:USDT"}  # a heartbeat of real data even with no position open
        return {f"{native(s).lower()}@markPrice@1s" for s in syms}

    async def _open_market(self, ws: WS) -> None:
        self.mark.source = f"{streams_named(self._subscribed)} at {self.account.ws_url.rstrip('/')}/market/stream"
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
        """premiumIndex (every symbol) -> the marks of what we hold or were asked to watch. An unreadable item
        is counted, logged and skipped: its symbol keeps its previous mark, which ages (and goes stale) unless
        the stream renews it; the other symbols' marks apply."""
        now = self.clock.now()
        # Matched on Binance's own names: the list also holds contracts we cannot (and need not) map, such
        # as quarterly BTCUSDT_250627, and only our few symbols are worth parsing.
        watched = {native(s) for s in held | set(self.account.symbols)}
        for item in marks if isinstance(marks, list) else [marks]:
            if isinstance(item, dict) and item.get("symbol") in watched:
                try:
                    tick = parse_premium_index(item, now)
                except WireError as exc:
                    self.bad_item("premiumIndex", item, f"{item.get('symbol')}: {exc}")
                    continue
                self.apply_rest_mark("premiumIndex", tick)

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
        msg = self.decode("market", raw, receive, self.market_stream)
        if msg is NOT_JSON:
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
