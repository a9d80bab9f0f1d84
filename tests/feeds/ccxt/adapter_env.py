"""The generic adapter's test bed: the emulator, and a Monitor watching one of its accounts through stock ccxt
(``exchange = "ccxt"``), with, where a test compares, the same account through liqwatch's native adapter."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from liqwatch.emulator import EmulatorServer, Scenario
from liqwatch.feed_channel import Channel
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.feeds.ccxt_adapter import CcxtAdapter
from liqwatch.feeds.options import FeedOptions
from liqwatch.model import Exchange
from liqwatch.monitor import Monitor
from liqwatch.read_model import AccountView
from tests.emulator.bybit_helpers import bybit_scenario
from tests.emulator.helpers import small_scenario
from tests.emulator.okx_helpers import okx_scenario
from tests.feeds.harness import FAST

from .support import CREDENTIALS, OPTIONS, account

IDS = ("binanceusdm", "bybit", "okx", "hyperliquid")
NATIVE = {"binanceusdm": Exchange.BINANCE, "bybit": Exchange.BYBIT, "okx": Exchange.OKX,
          "hyperliquid": Exchange.HYPERLIQUID}
SCENARIOS: dict[str, Callable[[], Scenario]] = {
    "binanceusdm": small_scenario, "hyperliquid": small_scenario, "bybit": bybit_scenario, "okx": okx_scenario}
#: The emulator's socket targets: every socket of the exchange, and the one its marks come on.
SOCKETS = {"binanceusdm": "binance", "bybit": "bybit", "okx": "okx", "hyperliquid": "hyperliquid"}
MARK_SOCKET = {"binanceusdm": "binance-market", "bybit": "bybit-public", "okx": "okx-public"}
#: The sockets ccxt opens for the generic adapter, by emulator target: (target, how many).
SOCKET_COUNTS = {"binanceusdm": (("binance-market", 1), ("binance-user", 1)),
                 "bybit": (("bybit-public", 1), ("bybit-private", 1)),
                 "okx": (("okx-public", 1), ("okx-private", 1)), "hyperliquid": (("hyperliquid", 1),)}
#: Fast, as the other feed tests' (tests/feeds/harness.FAST), but reconciling every 3 s: ccxt's throttle gives
#: Hyperliquid's info endpoint about one request a second, which a 1 s reconciliation alone would use up.
OPTS: FeedOptions = replace(FAST, reconcile_interval_s=3.0, market_max_age_s=1.5, idle_timeout_s=3.0)
LIMIT_S = 40.0


@dataclass
class Env:
    emu: EmulatorServer
    monitor: Monitor
    ccxt_id: str

    @property
    def adapter(self) -> CcxtAdapter:
        return next(a for a in self.monitor.adapters if isinstance(a, CcxtAdapter))

    def view(self, name: str | None = None) -> AccountView:
        return self.monitor.store.snapshot().account(name or f"generic-{self.ccxt_id}")

    def channel(self, name: str) -> Channel:
        return next(c for c in self.monitor.store.channels(f"generic-{self.ccxt_id}") if c.name == name)


def generic_account(ccxt_id: str, emu: EmulatorServer) -> FeedAccount:
    return replace(account(ccxt_id, emu.rest_url, emu.ws_url), ccxt_options=OPTIONS[ccxt_id])


def native_account(ccxt_id: str, emu: EmulatorServer) -> FeedAccount:
    key, secret, password, address = CREDENTIALS[ccxt_id]
    return FeedAccount(
        name=f"native-{ccxt_id}", exchange=NATIVE[ccxt_id], rest_url=emu.rest_url, ws_url=emu.ws_url,
        api_key=Secret(key) if key else None, api_secret=Secret(secret) if secret else None,
        passphrase=Secret(password) if password else None, address=address)


@asynccontextmanager
async def watching(ccxt_id: str, *, native: bool = False, options: FeedOptions = OPTS) -> AsyncIterator[Env]:
    """The emulator (its scenario for the protocol) and a Monitor on it; both stopped at the end."""
    emu = EmulatorServer(SCENARIOS[ccxt_id](), seed=7, autorun=True, publish_interval=0.2, hl_idle_timeout=None,
                         okx_idle_timeout=None)
    await asyncio.wait_for(emu.start(), 10)
    accounts = [generic_account(ccxt_id, emu)] + ([native_account(ccxt_id, emu)] if native else [])
    try:
        async with Monitor(accounts, options=options) as monitor:
            yield Env(emu, monitor, ccxt_id)
    finally:
        await asyncio.wait_for(emu.stop(), 10)
