"""The exchanges with a live feed: one entry each, keyed by the exchange's id string.

Adding an exchange is its own adapter files plus one entry here: the adapter class (``FeedAdapter``
subclass) and its default endpoints; its risk rules are looked up by the same id in ``liqwatch.risk.registry``
(which also knows exchanges with risk math but no live feed yet). Everything that wires a feed (``monitor.Monitor``,
``from_config``) looks the exchange up here and nowhere else; an id with no entry has no live feed (the
account is listed as disabled, with the reason), however valid it is elsewhere (e.g. for ``calc``).
"""

from __future__ import annotations

from dataclasses import dataclass

from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.feeds.binance import BinanceAdapter
from liqwatch.feeds.bybit import BybitAdapter
from liqwatch.feeds.ccxt_adapter import CcxtAdapter
from liqwatch.feeds.hyperliquid import HyperliquidAdapter
from liqwatch.feeds.okx import OkxAdapter


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """What the wiring needs of one exchange."""

    adapter: type[FeedAdapter]
    #: (REST base URL, websocket base URL) when the account's configuration names none.
    endpoints: tuple[str, str]


FEEDS: dict[str, FeedEntry] = {
    "binance": FeedEntry(BinanceAdapter, ("https://fapi.binance.com", "wss://fstream.binance.com")),
    "hyperliquid": FeedEntry(HyperliquidAdapter, ("https://api.hyperliquid.xyz", "wss://api.hyperliquid.xyz")),
    "bybit": FeedEntry(BybitAdapter, ("https://api.bybit.com", "wss://stream.bybit.com")),
    "okx": FeedEntry(OkxAdapter, ("https://www.okx.com", "wss://ws.okx.com")),  # 443: port 8443 is retired
    # Any exchange ccxt knows (its ``ccxt_id``), the exchange's figures only; ccxt's own URLs unless configured.
    "ccxt": FeedEntry(CcxtAdapter, ("", "")),
}


def feed_entry(exchange_id: str) -> FeedEntry | None:
    """The registry entry of an exchange id (as configured: ``"binance"``), None when it has no live feed."""
    return FEEDS.get(str(exchange_id))
