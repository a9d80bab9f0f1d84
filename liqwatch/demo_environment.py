"""The built-in demo: the embedded emulator on a free loopback port, watched through the real adapters.

Nothing is mocked: the demo's accounts are configured exactly as a user would configure real ones, with
``rest_url``/``ws_url`` pointing at the emulator.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from liqwatch.config.thresholds import ThresholdMap
from liqwatch.emulator import EmulatorServer, Scenario, demo_scenario
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.feeds.options import FeedOptions
from liqwatch.model import Exchange
from liqwatch.monitor import Monitor
from liqwatch.redact import register_secret

DEMO_SEED = 7


def scenario_accounts(scenario: Scenario, rest_url: str, ws_url: str) -> list[FeedAccount]:
    accounts = []
    for ba in scenario.binance.accounts:
        register_secret(ba.secret)
        accounts.append(FeedAccount(ba.name, Exchange.BINANCE, rest_url, ws_url, api_key=Secret(ba.api_key),
                                    api_secret=Secret(ba.secret)))
    accounts.extend(
        FeedAccount(ha.name, Exchange.HYPERLIQUID, rest_url, ws_url, address=ha.address)
        for ha in scenario.hyperliquid.accounts
    )
    for ya in scenario.bybit.accounts:
        register_secret(ya.secret)
        accounts.append(FeedAccount(ya.name, Exchange.BYBIT, rest_url, ws_url, api_key=Secret(ya.api_key),
                                    api_secret=Secret(ya.secret)))
    for oa in scenario.okx.accounts:
        for secret in (oa.secret, oa.passphrase):
            register_secret(secret)
        accounts.append(FeedAccount(oa.name, Exchange.OKX, rest_url, ws_url, api_key=Secret(oa.api_key),
                                    api_secret=Secret(oa.secret), passphrase=Secret(oa.passphrase)))
    return accounts


@contextlib.asynccontextmanager
async def demo_emulator(seed: int = DEMO_SEED, speed: float = 1.0, *, held: bool = False
                        ) -> AsyncIterator[EmulatorServer]:
    # The first marks at once: the demo's Binance feeds go LIVE without waiting up to a second for a round.
    emu = EmulatorServer(demo_scenario(), seed=seed, speed=speed, port=0, autorun=True, first_marks_at_once=True)
    emu.held = held
    async with emu:
        yield emu


@contextlib.asynccontextmanager
async def demo_environment(
    record_path: Path | None = None,
    options: FeedOptions | None = None,
    thresholds: ThresholdMap | None = None,
    seed: int = DEMO_SEED,
    speed: float = 1.0,
    hold_until_live_s: float | None = None,
) -> AsyncIterator[tuple[EmulatorServer, Monitor]]:
    """The emulator and a Monitor on its accounts: what ``check --demo``, ``demo`` and the App's demo run.
    ``hold_until_live_s``: the market moves only once every feed is LIVE (or that long has passed), so that the
    scenario's story starts at its beginning however long the start took (``check --demo``)."""
    async with demo_emulator(seed, speed, held=hold_until_live_s is not None) as emu:
        accounts = scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)
        async with Monitor(accounts, options=options, thresholds=thresholds, record_path=record_path) as monitor:
            if hold_until_live_s is not None:
                await monitor.wait_live(hold_until_live_s)
                emu.held = False
            yield emu, monitor
