"""The built-in demo scenario: accounts on all four exchanges, one drifting into danger in a minute.

The keys, secrets and addresses here are the demo's own and open no real account.
"""

from __future__ import annotations

import copy
import functools
import tomllib
from typing import Any

from liqwatch.emulator.bybit_demo import BYBIT_DEMO_TOML
from liqwatch.emulator.okx_demo import OKX_DEMO_TOML, okx_lines
from liqwatch.emulator.scenario import Scenario, scenario_from_dict

DEMO_TOML = """
name = "demo"
description = "Binance (3 accounts), Hyperliquid (2), Bybit (1), OKX (2); ETH slides ~3.5% in 2.5 minutes."

[emulator]
step_seconds = 1.0
# Two minutes before 08:00 UTC, so that the first funding settles two simulated minutes in.
start_time = "2026-01-01T07:58:00Z"

[[paths]]
name = "BTC"
start = 60000.0
vol_per_sqrt_hour = 0.005
regimes = [1.0, 2.5]
regime_switch_per_hour = 2.0
jump_per_hour = 0.5
jump_size = 0.003

[[paths]]
name = "ETH"
start = 3000.0
vol_per_sqrt_hour = 0.004
waypoints = [[60.0, 2925.0], [150.0, 2895.0]]

[[paths]]
name = "SOL"
start = 150.0
vol_per_sqrt_hour = 0.008
regimes = [1.0, 3.0]
regime_switch_per_hour = 1.0

[[binance.markets]]
symbol = "BTCUSDT"
path = "BTC"
price_decimals = 2
qty_decimals = 3
funding_interval_hours = 8
premium_bps = 1.0

[[binance.markets]]
symbol = "ETHUSDT"
path = "ETH"
price_decimals = 2
qty_decimals = 3
funding_interval_hours = 8
premium_bps = -0.5

[[binance.markets]]
symbol = "SOLUSDT"
path = "SOL"
price_decimals = 3
qty_decimals = 0
funding_interval_hours = 4
premium_bps = 2.0
tiers = [
  { floor = 0, cap = 5000, mmr = 0.01, max_leverage = 75 },
  { floor = 5000, cap = 50000, mmr = 0.015, max_leverage = 50 },
  { floor = 50000, cap = 500000, mmr = 0.02, max_leverage = 25 },
  { floor = 500000, mmr = 0.05, max_leverage = 10 },
]

[[hyperliquid.markets]]
coin = "BTC"
path = "BTC"
sz_decimals = 5
max_leverage = 40
tiers = [{ lower_bound = 0, max_leverage = 40 }, { lower_bound = 150000000, max_leverage = 20 }]
premium_bps = 1.5

[[hyperliquid.markets]]
coin = "ETH"
path = "ETH"
sz_decimals = 4
max_leverage = 25

[[hyperliquid.markets]]
coin = "SOL"
path = "SOL"
sz_decimals = 2
max_leverage = 20

[[binance.accounts]]
name = "binance-main"
api_key = "LiqwatchDemoMainKey000000000000000000000000000000000000000000001"
secret = "LiqwatchDemoMainSecret000000000000000000000000000000000000000001"
wallet = 25000.0
positions = [
  { symbol = "BTCUSDT", side = "long", size = 0.5, entry = 58500.0, leverage = 10 },
  { symbol = "ETHUSDT", side = "short", size = 4.0, entry = 3050.0, leverage = 10 },
]

[[binance.accounts]]
name = "binance-hedge"
api_key = "LiqwatchDemoHedgeKey00000000000000000000000000000000000000000002"
secret = "LiqwatchDemoHedgeSecret00000000000000000000000000000000000000002"
position_mode = "hedge"
wallet = 8000.0

[[binance.accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = 0.3
entry = 61000.0
leverage = 20

[[binance.accounts.positions]]
symbol = "BTCUSDT"
side = "short"
size = 0.1
entry = 59000.0
leverage = 20

[[binance.accounts.positions]]
symbol = "SOLUSDT"
side = "long"
size = 40
entry = 155.0
margin = "isolated"
isolated_wallet = 700.0
leverage = 10

[[binance.accounts]]
name = "binance-degen"
api_key = "LiqwatchDemoDegenKey00000000000000000000000000000000000000000003"
secret = "LiqwatchDemoDegenSecret00000000000000000000000000000000000000003"
wallet = 300.0

[[binance.accounts.positions]]
symbol = "ETHUSDT"
side = "long"
size = 10.0
entry = 3000.0
margin = "isolated"
isolated_wallet = 960.0
leverage = 30

[[hyperliquid.accounts]]
name = "hl-whale"
address = "0xde40000000000000000000000000000000000001"
balance = 20000.0
positions = [
  { coin = "BTC", side = "long", size = 1.5, entry = 59000.0, leverage = 10 },
  { coin = "ETH", side = "short", size = 10.0, entry = 3100.0, leverage = 5 },
]

[[hyperliquid.accounts]]
name = "hl-isolated"
address = "0xde40000000000000000000000000000000000002"
balance = 2000.0

[[hyperliquid.accounts.positions]]
coin = "SOL"
side = "short"
size = 300.0
entry = 145.0
margin = "isolated"
isolated_margin = 4500.0
leverage = 10

[[hyperliquid.accounts.positions]]
coin = "ETH"
side = "long"
size = 5.0
entry = 3010.0
margin = "isolated"
isolated_margin = 900.0
leverage = 25
"""


def demo_scenario() -> Scenario:
    """A new Scenario each call (a caller may change its own). The TOML text is a constant, so it is parsed
    once per process: parsing was three quarters of a call (1.1 of 1.4 ms), and every test that starts an
    emulator on the demo calls this. Each call validates its own deep copy of the parsed document, so no two
    Scenarios (nor the cache) share an object; equal to ``scenario_from_toml`` of the text
    (tests/emulator/test_demo_scenario_cache.py)."""
    return scenario_from_dict(copy.deepcopy(_demo_document()), source="built-in demo scenario")


@functools.cache
def _demo_document() -> dict[str, Any]:
    return tomllib.loads(DEMO_TOML + BYBIT_DEMO_TOML + OKX_DEMO_TOML)


def describe_accounts(scenario: Scenario, *, show_secrets: bool) -> list[str]:
    """One line per account, for the start-up banner: what a user needs to configure against it."""
    lines = [
        f"  binance      {ba.name:<16} api_key={ba.api_key} "
        f"secret={ba.secret if show_secrets else '(from the scenario file)'} ({ba.position_mode})"
        for ba in scenario.binance.accounts
    ]
    lines.extend(f"  hyperliquid  {ha.name:<16} address={ha.address}" for ha in scenario.hyperliquid.accounts)
    lines.extend(
        f"  bybit        {ya.name:<16} api_key={ya.api_key} "
        f"secret={ya.secret if show_secrets else '(from the scenario file)'} (unified trading account)"
        for ya in scenario.bybit.accounts
    )
    lines.extend(okx_lines(scenario.okx, show_secrets=show_secrets))
    return lines
