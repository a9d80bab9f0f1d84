"""Shared by the Bybit emulator and feed tests: a small Bybit scenario (a cross UTA with a USDT borrow, BTC collateral
and a BTC long; an isolated UTA with an ETH long whose ETH path slides into liquidation), ccxt pointed at 127.0.0.1,
and Bybit's REST signature for raw calls."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any

from liqwatch.emulator import EmulatorServer, Scenario, scenario_from_toml

from .helpers import external_urls, localize

BYBIT_KEY = "BYBITKEYYUKI000001"
BYBIT_SECRET = "bybitsecretyuki0000000000000000000001"
BYBIT_KEY_ISO = "BYBITKEYKENJI00003"
BYBIT_SECRET_ISO = "bybitsecretkenji000000000000000000003"
BYBIT_KEY_TRADE = "BYBITKEYTRADE00002"
BYBIT_SECRET_TRADE = "bybitsecrettrade000000000000000000002"

BYBIT_TOML = f"""
name = "bybit-small"

[emulator]
step_seconds = 1.0
start_time = "2026-01-01T07:59:50Z"

[[paths]]
name = "BTC"
start = 60000.0
vol_per_sqrt_hour = 0.01

[[paths]]
name = "ETH"
start = 3000.0
vol_per_sqrt_hour = 0.0
waypoints = [[100.0, 2700.0]]

[[bybit.markets]]
symbol = "BTCUSDT"
path = "BTC"
tick_size = 0.1

[[bybit.markets]]
symbol = "ETHUSDT"
path = "ETH"
tick_size = 0.01
premium_bps = 0.0
premium_noise_bps = 0.0

[[bybit.accounts]]
name = "yuki"
api_key = "{BYBIT_KEY}"
secret = "{BYBIT_SECRET}"
usdt_wallet = -2000.0
hourly_borrow_rate = 0.00001

[[bybit.accounts.collateral]]
coin = "BTC"
amount = 0.1
path = "BTC"
collateral_ratio = 0.95

[[bybit.accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = 0.5
entry = 59000.0
leverage = 10

[[bybit.accounts]]
name = "kenji"
api_key = "{BYBIT_KEY_ISO}"
secret = "{BYBIT_SECRET_ISO}"
usdt_wallet = 1000.0

[[bybit.accounts.positions]]
symbol = "ETHUSDT"
side = "long"
size = 2.0
entry = 3000.0
margin = "isolated"
position_margin = 310.0
leverage = 20

[[bybit.accounts]]
name = "trader"
api_key = "{BYBIT_KEY_TRADE}"
secret = "{BYBIT_SECRET_TRADE}"
usdt_wallet = 5000.0
read_only = false
ip_bound = false
"""


def bybit_scenario() -> Scenario:
    return scenario_from_toml(BYBIT_TOML, source="bybit-small")


def bybit_ccxt(emu: EmulatorServer, api_key: str = BYBIT_KEY, secret: str = BYBIT_SECRET) -> Any:
    import ccxt.pro as ccxtpro

    ex = ccxtpro.bybit(
        {
            "apiKey": api_key,
            "secret": secret,
            "enableRateLimit": False,
            "options": {"ws": {"compress": 0}, "defaultType": "swap", "loadAllOptions": False},
        }
    )
    ex.urls["api"] = localize(ex.urls["api"], emu.rest_url, emu.ws_url)
    assert external_urls(ex.urls["api"]) == []
    return ex


def bybit_headers(query: str, api_key: str = BYBIT_KEY, secret: str = BYBIT_SECRET,
                  timestamp: int | None = None) -> dict[str, str]:
    ts = str(timestamp if timestamp is not None else int(time.time() * 1000))
    sig = hmac.new(secret.encode(), (ts + api_key + "5000" + query).encode(), hashlib.sha256).hexdigest()
    return {"X-BAPI-API-KEY": api_key, "X-BAPI-TIMESTAMP": ts, "X-BAPI-RECV-WINDOW": "5000", "X-BAPI-SIGN": sig}
