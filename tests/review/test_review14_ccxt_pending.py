"""Review of issue 14 (the generic ccxt adapter): the account stream waited on every pending watch call of the
adapter, the marks stream's included (one dict holds both). A mark update then woke the account's watch as "the
positions or balance changed": a REST snapshot (``fetch_positions`` + ``fetch_balance``) after every mark, at most
one per second, which spends the exchange's request budget (ccxt's throttle, Hyperliquid's one a second), and a
failed marks watch took the account stream down as its own."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import aiohttp
import pytest

from liqwatch.feeds.ccxt_adapter import CcxtAdapter
from tests.feeds.harness import FAST
from tests.review.ccxt_fake import fake_adapter

BTC = "BTC/USDT:USDT"


class Streams:
    def __init__(self) -> None:
        self.has = {"watchPositions": True, "watchBalance": True, "watchTickers": True}
        self.markets = {BTC: {"swap": True, "settle": "USDT"}}
        self.tickers: dict[str, Any] = {}
        self.rateLimit = 10
        self.quiet = asyncio.Event()  # never set: the account's streams say nothing
        self.mark = asyncio.Event()
        self.fail_marks = False

    async def watch_positions(self) -> Any:
        await self.quiet.wait()

    async def watch_balance(self) -> Any:
        await self.quiet.wait()

    async def watch_tickers(self, symbols: list[str]) -> Any:
        await self.mark.wait()
        if self.fail_marks:
            raise ConnectionError("marks socket closed")
        return {BTC: {"symbol": BTC, "markPrice": 60000.0, "timestamp": None}}


async def _setup(session: aiohttp.ClientSession) -> tuple[CcxtAdapter, Streams]:
    ex = Streams()
    ad = fake_adapter(session, ex, symbols=(BTC,), options=replace(FAST, idle_timeout_s=0.4, reconcile_interval_s=0.2))
    ad.ccxt_streams()
    return ad, ex


def _cancel(ad: CcxtAdapter) -> None:
    for fut in ad._pending.values():
        fut.cancel()


async def test_a_mark_update_is_no_change_of_the_account() -> None:
    async with aiohttp.ClientSession() as session:
        ad, ex = await _setup(session)
        marks = asyncio.create_task(ad._watch_marks())
        await asyncio.sleep(0.01)  # the marks watch is pending
        account = asyncio.create_task(ad._watch_account())
        await asyncio.sleep(0.01)
        ex.mark.set()
        assert BTC in await marks
        assert await account is False  # a quiet wait, not "the positions changed"
        _cancel(ad)


async def test_a_failed_marks_watch_is_not_the_account_streams_failure() -> None:
    async with aiohttp.ClientSession() as session:
        ad, ex = await _setup(session)
        ex.fail_marks = True
        marks = asyncio.create_task(ad._watch_marks())
        await asyncio.sleep(0.01)
        account = asyncio.create_task(ad._watch_account())
        await asyncio.sleep(0.01)
        ex.mark.set()
        assert await account is False
        with pytest.raises(ConnectionError):  # the marks stream's own failure, read by it
            await marks
        _cancel(ad)


async def test_the_account_stream_leaves_the_marks_watch_to_its_own_stream() -> None:
    async with aiohttp.ClientSession() as session:
        ad, _ = await _setup(session)
        resolved: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        resolved.set_exception(ConnectionError("marks socket closed"))
        ad._pending["marks"] = resolved  # resolved, not yet read by the marks stream
        assert await ad._watch_account() is False
        assert ad._pending.get("marks") is resolved  # still there for the marks stream to read
        _cancel(ad)
