"""Review of issue 14 (the generic ccxt adapter): its snapshots are dated by the local wall clock (ccxt's
answers carry no time of the account's), and the store keeps only a snapshot newer than the one applied. A wall
clock stepped back (NTP, a user) made every snapshot after it "older" for as long as the step: a position closed
at the exchange stayed on screen, while the reconciliation kept the account channel LIVE."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import aiohttp

from liqwatch.clock import FakeClock
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.ccxt_adapter import CcxtAdapter
from liqwatch.model import AccountSpec
from liqwatch.risk.base import ExchangeRisk
from liqwatch.store import MonitorStore

T0 = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
BTC = "BTC/USD:USD"


class Answers:
    """fetch_positions / fetch_balance in ccxt's unified shape, as the test sets them."""

    def __init__(self) -> None:
        self.has: dict[str, bool] = {}
        self.markets = {BTC: {"swap": True, "settle": "USD", "linear": True}}
        self.tickers: dict[str, Any] = {}
        self.rateLimit = 50
        self.rows: list[Any] = []
        self.balance: dict[str, Any] = {"total": {"USD": 1000.0}, "free": {"USD": 900.0}}

    async def fetch_positions(self) -> list[Any]:
        return self.rows

    async def fetch_balance(self) -> dict[str, Any]:
        return self.balance


def long_btc() -> dict[str, Any]:
    return {"symbol": BTC, "side": "long", "contracts": 1, "contractSize": 1, "entryPrice": 60000,
            "markPrice": 60000, "liquidationPrice": 50000}


@asynccontextmanager
async def adapter() -> AsyncIterator[tuple[CcxtAdapter, MonitorStore, FakeClock, Answers]]:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    acc = FeedAccount(name="g", exchange="ccxt", rest_url="", ws_url="", ccxt_id="krakenfutures")
    store.add_account(AccountSpec("g", acc.market_exchange), ExchangeRisk(), reported_only=True)
    answers = Answers()
    async with aiohttp.ClientSession() as session:
        ad = CcxtAdapter(acc, store, session, clock)
        ad.ex = answers  # type: ignore[assignment]
        yield ad, store, clock, answers


async def test_a_wall_clock_stepped_back_does_not_freeze_the_positions() -> None:
    async with adapter() as (ad, store, clock, answers):
        answers.rows = [long_btc()]
        ad.apply_snapshot(await ad.fetch_snapshot())
        assert [p.symbol for p in store.snapshot().account("g").risk.positions] == [BTC]
        clock.jump_wall(-3600.0)  # NTP steps the clock back an hour
        clock.advance(5.0)
        answers.rows = []  # closed at the exchange
        ad.apply_snapshot(await ad.fetch_snapshot())
        assert store.snapshot().account("g").risk.positions == ()


async def test_snapshots_keep_the_order_they_were_started_in() -> None:
    async with adapter() as (ad, _, clock, _answers):
        first = await ad.fetch_snapshot()
        clock.jump_wall(-60.0)
        second = await ad.fetch_snapshot()
        assert first.as_of is not None and second.as_of is not None
        assert second.as_of > first.as_of
