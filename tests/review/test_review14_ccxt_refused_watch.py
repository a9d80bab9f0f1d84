"""Review of issue 14 (the generic ccxt adapter): a watch the read-only guards refuse. Some exchanges' ccxt.pro
streams start with a request liqwatch never sends (KuCoin's ``POST bullet-private``, BingX's ``POST`` listen key:
no POST outside a list of reads for ids without one). The refusal is permanent, yet it was taken as a dropped
connection: the stream reconnected for ever, and each time it went down it closed every socket of the
instance, taking the marks down with it. A refused watch is now given up for the poll (the account's
reconciliation, the marks' REST poll), said once in ``last_error``."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import aiohttp

from liqwatch.feeds.ccxt_adapter import CcxtAdapter
from liqwatch.feeds.rest import ForbiddenEndpoint
from liqwatch.feeds.ws_allowlist import ForbiddenMessage
from tests.feeds.harness import FAST
from tests.review.ccxt_fake import fake_adapter

BTC = "BTC/USDT:USDT"


class Refusing:
    def __init__(self) -> None:
        self.has = {"watchPositions": True, "watchBalance": True, "watchTickers": True, "fetchTickers": True}
        self.markets = {BTC: {"swap": True, "settle": "USDT"}}
        self.tickers: dict[str, Any] = {}
        self.rateLimit = 10
        self.calls: list[str] = []

    async def watch_positions(self) -> Any:
        self.calls.append("watch_positions")
        raise ForbiddenEndpoint("ccxt kucoinfutures: POST /api/v1/bullet-private refused before sending")

    async def watch_balance(self) -> Any:
        self.calls.append("watch_balance")
        raise ForbiddenEndpoint("ccxt kucoinfutures: POST /api/v1/bullet-private refused before sending")

    async def watch_tickers(self, symbols: list[str]) -> Any:
        self.calls.append("watch_tickers")
        raise ForbiddenMessage("ccxt kucoinfutures: websocket message names 'order'; refused before sending")

    async def fetch_tickers(self, symbols: list[str]) -> Any:
        self.calls.append("fetch_tickers")
        return {BTC: {"symbol": BTC, "markPrice": 60000.0, "timestamp": None}}


def _adapter(session: aiohttp.ClientSession) -> tuple[CcxtAdapter, Refusing]:
    ex = Refusing()
    ad = fake_adapter(session, ex, ccxt_id="kucoinfutures", symbols=(BTC,),
                      options=replace(FAST, market_max_age_s=0.3, idle_timeout_s=0.3))
    ad.ccxt_streams()
    return ad, ex


async def test_an_account_watch_refused_by_the_guard_is_given_up_not_redialled() -> None:
    async with aiohttp.ClientSession() as session:
        ad, ex = _adapter(session)
        assert await ad._watch_account() is False  # no change said; the stream stays up
        assert await ad._watch_account() is False
        assert ex.calls.count("watch_positions") == 1 and ex.calls.count("watch_balance") == 1
        assert ad.last_error is not None and "refused" in ad.last_error


async def test_a_marks_watch_refused_by_the_guard_falls_back_to_the_poll() -> None:
    async with aiohttp.ClientSession() as session:
        ad, ex = _adapter(session)
        first = await ad._watch_marks()
        assert first == {}
        assert ad.polls_marks()
        rows = await ad._watch_marks()
        assert BTC in rows
        assert ex.calls == ["watch_tickers", "fetch_tickers"]
