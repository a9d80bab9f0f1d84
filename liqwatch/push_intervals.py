"""How often each exchange's market stream pushes, as the feeds subscribe to it: the floor of any freshness
limit. A limit at or below the push interval declares the channel stale between two ordinary pushes, so
the channel flaps between LIVE and STALE; ``config`` refuses such a limit."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PushInterval:
    seconds: float
    stream: str  # what is pushed that often, as the exchange names it


#: Per exchange name (``[[accounts]]`` ``exchange``), for the exchanges with a live feed.
MARKET_PUSH_INTERVALS: dict[str, PushInterval] = {
    # Binance USDⓈ-M: "<symbol>@markPrice@1s" updates every 1000 ms (the feed subscribes to the @1s stream).
    "binance": PushInterval(1.0, "markPrice@1s"),
    # Hyperliquid documents no cadence for activeAssetCtx; one push a second is the order of the live feed
    # and what the emulator sends, and the reference advises a limit of 5-10 s for it.
    "hyperliquid": PushInterval(1.0, "activeAssetCtx"),
    # Bybit v5 linear "tickers.<symbol>": "Push frequency: Derivatives & Options - 100ms" (deltas on change).
    "bybit": PushInterval(0.1, "tickers"),
}
