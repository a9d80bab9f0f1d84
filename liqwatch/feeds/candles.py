"""σ at start from the exchange's mark-price candles, so that distance in σ does not wait an hour of marks.

Per market, once (the first account holding or watching it fetches; the others share the store's estimator):
``HOUR_CANDLES`` 1-hour candles (30 days, the long-run window) and ``MINUTE_CANDLES`` 1-minute candles (the
last 2 hours: the 60-minute recent window, with an hour to spare for the running candle and for minutes an
exchange skipped). How the two combine and how live marks take over: liqwatch.risk.volatility. A failure is
logged and costs nothing but the seed: σ then builds up from live marks as before.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from liqwatch.feeds.rest import RestError
from liqwatch.feeds.wire import CandleClose, WireError
from liqwatch.model import ExchangeId
from liqwatch.store import MonitorStore

log = logging.getLogger(__name__)

HOUR_CANDLES = 30 * 24 + 2  # 720 returns need 721 closed candles; the latest one is still running
MINUTE_CANDLES = 2 * 60
MAX_PAGES = 10  # a bound on any paging loop; 30 days of hours take one page on both exchanges


#: ``(interval "1m"|"1h", how many of the latest candles) -> candles, oldest first``
CandleFetch = Callable[[str, int], Awaitable[list[CandleClose]]]


async def latest_pages(
    fetch_page: Callable[[int, int | None], Awaitable[list[CandleClose]]], count: int, page_limit: int
) -> list[CandleClose]:
    """The latest ``count`` candles, in pages of at most ``page_limit`` walking back by end time (Binance:
    ``limit`` <= 1500, ``endTime``). ``fetch_page(limit, end_ms or None)`` returns a page, oldest first."""
    out: list[CandleClose] = []
    end: int | None = None
    for _ in range(MAX_PAGES):
        want = min(page_limit, count - len(out))
        page = [c for c in await fetch_page(want, end) if end is None or c.open_ms <= end]
        out = page + out
        if len(page) < want or len(out) >= count:
            break
        end = page[0].open_ms - 1
    return out[-count:]


async def forward_pages(
    fetch_page: Callable[[int], Awaitable[list[CandleClose]]], start_ms: int, interval_ms: int, page_max: int
) -> list[CandleClose]:
    """Candles from ``start_ms`` on, in pages from a start time (Hyperliquid: at most ``page_max`` = 5000 an
    answer); a full page means more may follow. ``fetch_page(start_ms)`` returns a page, oldest first."""
    out: list[CandleClose] = []
    cursor = start_ms
    for _ in range(MAX_PAGES):
        page = [c for c in await fetch_page(cursor) if c.open_ms >= cursor]
        out.extend(page)
        if len(page) < page_max:
            break
        cursor = page[-1].open_ms + interval_ms
    return out


async def seed_volatility(store: MonitorStore, exchange: ExchangeId, symbol: str, fetch: CandleFetch,
                          account: str) -> bool:
    """Fetch the candles of ``symbol`` and seed its σ in ``store``; False if another account already did or
    the exchange did not answer (logged; σ then waits for live marks)."""
    if not store.claim_volatility_seed(exchange, symbol):
        return False
    seeded = False
    try:
        hours = await fetch("1h", HOUR_CANDLES)
        minutes = await fetch("1m", MINUTE_CANDLES)
        store.seed_volatility(exchange, symbol, [(c.open_ms / 1000.0, c.close) for c in minutes],
                              [(c.open_ms / 1000.0, c.close) for c in hours])
        seeded = True
        log.info("%s: σ of %s seeded from %d 1h and %d 1m mark-price candles", account, symbol, len(hours),
                 len(minutes))
    except (RestError, WireError) as exc:
        log.warning("%s: no mark-price candles for %s (%s); σ waits for live marks", account, symbol, exc)
    finally:
        if not seeded:
            store.release_volatility_seed(exchange, symbol)
    return seeded
