"""The review-14 tests' generic adapter on a fake ccxt instance (no ccxt, no network): the account in a store of
its own, reported-only as the Monitor adds it, and the fake set as the adapter's instance."""

from __future__ import annotations

from typing import Any

import aiohttp

from liqwatch.clock import SystemClock
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.ccxt_adapter import CcxtAdapter
from liqwatch.feeds.options import FeedOptions
from liqwatch.model import AccountSpec
from liqwatch.risk.base import ExchangeRisk
from liqwatch.store import MonitorStore
from tests.feeds.harness import FAST


def fake_adapter(session: aiohttp.ClientSession, ex: Any, *, ccxt_id: str = "krakenfutures",
                 symbols: tuple[str, ...] = (), options: FeedOptions = FAST) -> CcxtAdapter:
    clock = SystemClock()
    store = MonitorStore(clock)
    acc = FeedAccount(name="g", exchange="ccxt", rest_url="", ws_url="", ccxt_id=ccxt_id, symbols=symbols)
    store.add_account(AccountSpec("g", acc.market_exchange), ExchangeRisk(), reported_only=True)
    ad = CcxtAdapter(acc, store, session, clock, options)
    ad.ex = ex
    return ad
