"""Binance USDⓈ-M adapter, its market side: the routed mark-price stream (``/market/stream``), its
subscriptions as positions open, and the REST resync of marks (``premiumIndex``) after a reconnect."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from liqwatch.feeds.adapter_frames import Apply
from liqwatch.feeds.adapter_marks import streams_named
from liqwatch.feeds.adapter_streams import FrameRoutes, event_type_in
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.binance_client import BinanceClient
from liqwatch.feeds.binance_fast_mark import fast_mark_reader
from liqwatch.feeds.binance_wire import native, parse_premium_index
from liqwatch.feeds.rest import RestError
from liqwatch.feeds.stream import WS, FrameHandler
from liqwatch.feeds.wire import WireError


class BinanceMarket(BinanceClient):
    """The mark-price stream of the symbols held or watched (subscribed by the base, ``adapter_marks``)."""

    mark_stream_name = "market"
    heartbeat_symbol = "BTC/USDT:USDT"

    def mark_topic(self, symbol: str) -> str:
        return f"{native(symbol).lower()}@markPrice@1s"

    def mark_messages(self, topics: list[str], subscribe: bool) -> list[dict[str, Any]]:
        self._sub_id += 1
        return [{"method": "SUBSCRIBE" if subscribe else "UNSUBSCRIBE", "params": topics, "id": self._sub_id}]

    async def _open_market(self, ws: WS) -> None:
        self.mark.source = f"{streams_named(self.mark_topics)} at {self.account.ws_url.rstrip('/')}/market/stream"
        self.stream_opened("market", resync=False)  # its own resync: the marks, not the whole account
        self.replace_task("resync-market", self._resync_marks())

    async def _resync_marks(self) -> None:
        """The market socket needs fresh marks, not the whole account: one public call."""
        backoff = Backoff(self.opts.backoff_base_s, 2.0, self.opts.backoff_cap_s)
        self.mark.resyncing("REST resync")
        while True:
            try:
                held = {p.symbol for p in self.held.positions()}
                self._apply_marks(await self._public("/fapi/v1/premiumIndex"), held)
                self.resyncs += 1
                self.mark.synced(self.clock.monotonic())
                return
            except (RestError, WireError) as exc:
                self.last_error = f"premiumIndex: {exc}"
                self.mark.failed(f"resync failed: {self.last_error}")
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

    def market_routes(self) -> FrameRoutes:
        return FrameRoutes(event_type=event_type_in("e"), handlers={"markPriceUpdate": self._on_mark},
                           events=_market_events)

    def fast_mark(self, general: FrameHandler) -> FrameHandler:
        """The market socket's lean reader of markPriceUpdate frames, ``general`` for every other frame."""
        return fast_mark_reader(self, self.mark_stream_name, self.mark, general)

    def _on_mark(self, item: dict[str, Any], raw: str, mono: float, receive: datetime) -> Apply:
        # Counts as data for the mark channel only once the store has applied it.
        return self.judged_tick(parse_premium_index(item, receive), self.mark, mono)


def _market_events(msg: Any) -> list[Any]:
    """The mark updates of one frame of the combined stream (``data``: one update or a list of them)."""
    if isinstance(msg, dict) and "result" in msg and "id" in msg:
        return []  # a SUBSCRIBE/UNSUBSCRIBE acknowledgement: proves nothing about data
    data = msg.get("data", msg) if isinstance(msg, dict) else msg
    return data if isinstance(data, list) else [data]
