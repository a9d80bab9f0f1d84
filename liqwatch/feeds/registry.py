"""The exchanges with a live feed: one entry each, keyed by the exchange's id string.

Adding an exchange is its own adapter files plus one entry here: the adapter class (``FeedAdapter``
subclass), its default endpoints and its risk rules. Everything that wires a feed (``runtime.Monitor``,
``from_config``) looks the exchange up here and nowhere else; an id with no entry has no live feed (the
account is listed as disabled, with the reason), however valid it is elsewhere (e.g. for ``calc``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.feeds.binance import BinanceAdapter
from liqwatch.feeds.hyperliquid import HyperliquidAdapter
from liqwatch.model import Exchange
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.registry import risk_rules


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """What the wiring needs of one exchange."""

    adapter: type[FeedAdapter]
    #: (REST base URL, websocket base URL) when the account's configuration names none.
    endpoints: tuple[str, str]
    #: The exchange's risk rules, given the taker fee rate (None: the exchange's default).
    risk: Callable[[float | None], ExchangeRisk]


def _rules(exchange: Exchange) -> Callable[[float | None], ExchangeRisk]:
    return lambda fee: risk_rules(exchange, fee)


FEEDS: dict[str, FeedEntry] = {
    "binance": FeedEntry(BinanceAdapter, ("https://fapi.binance.com", "wss://fstream.binance.com"),
                         _rules(Exchange.BINANCE)),
    "hyperliquid": FeedEntry(HyperliquidAdapter, ("https://api.hyperliquid.xyz", "wss://api.hyperliquid.xyz"),
                             _rules(Exchange.HYPERLIQUID)),
}


def feed_entry(exchange_id: str) -> FeedEntry | None:
    """The registry entry of an exchange id (as configured: ``"binance"``), None when it has no live feed."""
    return FEEDS.get(str(exchange_id))
