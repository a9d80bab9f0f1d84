"""Review of issue 14 (the generic ccxt adapter): marks that reach the store without the checks a streamed
mark passes, and marks that count as new data when nothing new arrived.

- ``fetch_funding_rates`` rows carry a mark price, which the funding poll pushed straight to the store: a
  mark 100 000 times the last one was applied, and a mark dated a year ahead was applied and then made every
  genuine mark of the symbol look older (the store dropped them), freezing it.
- A watch call returns what woke it; the other symbols are read from ccxt's ticker cache. A cached ticker
  without a timestamp (dated by arrival) was taken as a new mark at every call, so a symbol whose updates had
  stopped kept showing a fresh mark.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp

from liqwatch.clock import FakeClock
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.ccxt_adapter import CcxtAdapter
from liqwatch.model import AccountSpec
from liqwatch.risk.base import ExchangeRisk
from liqwatch.store import MonitorStore

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
BTC, ETH = "BTC/USDT:USDT", "ETH/USDT:USDT"


class FakeExchange:
    """What the streams read of a ccxt instance: ``has``, ``markets``, the ticker cache, ``rateLimit``."""

    def __init__(self) -> None:
        self.has = {"fetchFundingRates": True, "watchTickers": True}
        self.markets = {s: {"swap": True, "settle": "USDT"} for s in (BTC, ETH)}
        self.tickers: dict[str, Any] = {}
        self.rateLimit = 50


@asynccontextmanager
async def adapter() -> AsyncIterator[tuple[CcxtAdapter, MonitorStore, FakeClock]]:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    acc = FeedAccount(name="g", exchange="ccxt", rest_url="", ws_url="", ccxt_id="krakenfutures",
                      symbols=(BTC, ETH))
    store.add_account(AccountSpec("g", acc.market_exchange), ExchangeRisk(), reported_only=True)
    async with aiohttp.ClientSession() as session:
        ad = CcxtAdapter(acc, store, session, clock)
        ad.ex = FakeExchange()  # type: ignore[assignment]
        ad.ccxt_streams()
        applier = asyncio.create_task(ad._apply_ticks())
        try:
            yield ad, store, clock
        finally:
            applier.cancel()


def _ms(t: datetime) -> int:
    return int(t.timestamp() * 1000)


async def _drain() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


def _mark(store: MonitorStore, ad: CcxtAdapter, symbol: str) -> float | None:
    return store._mark_for(ad.exchange_id, symbol)


async def test_a_funding_rows_implausible_mark_is_a_bad_item_not_applied() -> None:
    async with adapter() as (ad, store, clock):
        ad._marks_received({BTC: {"markPrice": 60000.0, "timestamp": _ms(clock.now())}}, clock.monotonic(),
                           clock.now())
        await _drain()
        assert _mark(store, ad, BTC) == 60000.0
        clock.advance(1.0)
        ad._funding_received({BTC: {"markPrice": 6e9, "fundingRate": 0.0001, "timestamp": _ms(clock.now())}},
                             clock.monotonic(), clock.now())
        await _drain()
        assert _mark(store, ad, BTC) == 60000.0
        assert ad.bad_items == 1


async def test_a_funding_row_dated_a_year_ahead_is_refused_and_freezes_nothing() -> None:
    async with adapter() as (ad, store, clock):
        ad._marks_received({BTC: {"markPrice": 60000.0, "timestamp": _ms(clock.now())}}, clock.monotonic(),
                           clock.now())
        await _drain()
        ahead = clock.now() + timedelta(days=365)
        ad._funding_received({BTC: {"markPrice": 60010.0, "fundingRate": 0.0001, "timestamp": _ms(ahead)}},
                             clock.monotonic(), clock.now())
        await _drain()
        assert _mark(store, ad, BTC) == 60000.0
        assert ad.bad_items == 1
        clock.advance(1.0)
        frames = ad.marks_ch.frames
        ad._marks_received({BTC: {"markPrice": 60020.0, "timestamp": _ms(clock.now())}}, clock.monotonic(),
                           clock.now())
        await _drain()
        assert _mark(store, ad, BTC) == 60020.0  # the genuine mark after it is applied
        assert ad.marks_ch.frames == frames + 1


async def test_a_cached_ticker_without_a_time_is_not_a_new_mark_at_every_call() -> None:
    async with adapter() as (ad, store, clock):
        ex = ad.ex
        assert isinstance(ex, FakeExchange)
        ex.tickers[ETH] = {"symbol": ETH, "markPrice": 3000.0, "timestamp": None}
        rows = ad._with_cached({BTC: {"markPrice": 60000.0, "timestamp": None}}, [BTC, ETH])
        ad._marks_received(rows, clock.monotonic(), clock.now())
        await _drain()
        eth = store._markets[(ad.exchange_id, ETH)]
        first = eth.receive_mono
        for _ in range(3):  # BTC keeps updating; ETH's cache entry is the same object, never updated
            clock.advance(2.0)
            rows = ad._with_cached({BTC: {"markPrice": 60000.0, "timestamp": None}}, [BTC, ETH])
            ad._marks_received(rows, clock.monotonic(), clock.now())
            await _drain()
        assert store._markets[(ad.exchange_id, ETH)].receive_mono == first  # ETH's mark is 6 s old
        # ccxt replaces a ticker's entry when an update arrives: that one is new.
        ex.tickers[ETH] = {"symbol": ETH, "markPrice": 3001.0, "timestamp": None}
        clock.advance(1.0)
        ad._marks_received(ad._with_cached({}, [BTC, ETH]), clock.monotonic(), clock.now())
        await _drain()
        assert _mark(store, ad, ETH) == 3001.0
        assert store._markets[(ad.exchange_id, ETH)].receive_mono == clock.monotonic()
