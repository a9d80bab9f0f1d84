"""One registry entry per exchange with a live feed, keyed by the exchange id string; the wiring builds
adapters through it and nowhere else."""

from __future__ import annotations

import aiohttp

from liqwatch.clock import SystemClock
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.feeds.binance import BinanceAdapter
from liqwatch.feeds.bybit import BybitAdapter
from liqwatch.feeds.ccxt_adapter import CcxtAdapter
from liqwatch.feeds.from_config import build_adapter
from liqwatch.feeds.hyperliquid import HyperliquidAdapter
from liqwatch.feeds.okx import OkxAdapter
from liqwatch.feeds.registry import FEEDS, feed_entry
from liqwatch.model import AccountSpec, Exchange
from liqwatch.monitor import Monitor
from liqwatch.risk.binance import BinanceRisk
from liqwatch.risk.bybit import BybitRisk
from liqwatch.risk.hyperliquid import HyperliquidRisk
from liqwatch.risk.okx import OkxRisk
from liqwatch.risk.registry import rules_for
from liqwatch.store import MonitorStore


def test_one_entry_per_live_exchange_keyed_by_its_id() -> None:
    assert set(FEEDS) == {"binance", "hyperliquid", "bybit", "okx", "ccxt"}
    binance, hyperliquid = feed_entry("binance"), feed_entry("hyperliquid")
    assert binance is not None and binance.adapter is BinanceAdapter
    assert rules_for("binance") is BinanceRisk  # the risk rules: by the same id, in the risk registry
    assert hyperliquid is not None and hyperliquid.adapter is HyperliquidAdapter
    assert rules_for("hyperliquid") is HyperliquidRisk
    assert binance.endpoints == ("https://fapi.binance.com", "wss://fstream.binance.com")
    okx = feed_entry("okx")  # issue 13: OKX v5 has its live feed
    assert okx is not None and okx.adapter is OkxAdapter and rules_for("okx") is OkxRisk
    assert okx.endpoints == ("https://www.okx.com", "wss://ws.okx.com")
    # An id with no entry (ccxt ids are open-ended: they go through "ccxt"): no live feed of its own.
    assert feed_entry("kraken") is None
    generic = feed_entry("ccxt")  # issue 14: the generic adapter, any exchange ccxt knows
    assert generic is not None and generic.adapter is CcxtAdapter and rules_for("ccxt") is None
    bybit = feed_entry("bybit")
    assert bybit is not None and bybit.adapter is BybitAdapter and rules_for("bybit") is BybitRisk


async def test_build_adapter_goes_through_the_registry() -> None:
    store = MonitorStore(SystemClock())
    store.add_account(AccountSpec("bn", Exchange.BINANCE), BinanceRisk())
    store.add_account(AccountSpec("kr", "kraken"), BinanceRisk())
    async with aiohttp.ClientSession() as session:
        bn = FeedAccount("bn", Exchange.BINANCE, "http://127.0.0.1:1", "ws://127.0.0.1:1",
                         api_key=Secret("k"), api_secret=Secret("s"))
        assert isinstance(build_adapter(bn, store, session, SystemClock()), BinanceAdapter)
        kr = FeedAccount("kr", "kraken", "http://127.0.0.1:1", "ws://127.0.0.1:1")
        assert build_adapter(kr, store, session, SystemClock()) is None


async def test_an_exchange_without_an_entry_is_disabled_with_the_reason() -> None:
    account = FeedAccount("kr", "kraken", "http://127.0.0.1:1", "ws://127.0.0.1:1")
    async with Monitor([account]) as monitor:
        assert monitor.adapters == []
        view = monitor.store.snapshot().account("kr")
        assert view.disabled_reason is not None and "no live feed yet" in view.disabled_reason
