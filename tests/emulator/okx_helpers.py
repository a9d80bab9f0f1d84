"""OKX test helpers: a small OKX scenario (one single-currency isolated account, one multi-currency cross account
with USDT and BTC collateral and a USDT borrowing), signed requests, and stock ccxt pointed at 127.0.0.1."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime
from typing import Any

from liqwatch.emulator import EmulatorServer, Scenario, scenario_from_toml

from .helpers import external_urls, localize

OKX_KEY_ISO = "0a1b2c3d-0000-4000-8000-000000000001"
OKX_SECRET_ISO = "5A1B2C3D4E5F60718293A4B5C6D7E8F9"
OKX_PASS_ISO = "pass-iso-1"
OKX_KEY_MULTI = "0a1b2c3d-0000-4000-8000-000000000002"
OKX_SECRET_MULTI = "6A1B2C3D4E5F60718293A4B5C6D7E8F9"
OKX_PASS_MULTI = "pass-multi-2"

OKX_TOML = f"""
name = "okx-small"

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

[[okx.markets]]
inst_id = "BTC-USDT-SWAP"
path = "BTC"
ct_val = 0.01

[[okx.markets]]
inst_id = "ETH-USDT-SWAP"
path = "ETH"
ct_val = 0.1
tick_decimals = 2
premium_bps = 0.0
premium_noise_bps = 0.0
tiers = [
  {{ max_contracts = 1000, mmr = 0.005, max_leverage = 100 }},
  {{ mmr = 0.01, max_leverage = 50 }},
]

[[okx.currencies]]
ccy = "USDT"

[[okx.currencies]]
ccy = "BTC"
path = "BTC"
hourly_interest = 0.0000025
discount = [{{ floor_usd = 0, rate = 0.98 }}, {{ floor_usd = 20000, rate = 0.9 }}]

[[okx.accounts]]
name = "okx-iso"
api_key = "{OKX_KEY_ISO}"
secret = "{OKX_SECRET_ISO}"
passphrase = "{OKX_PASS_ISO}"
mode = "single"
balances = {{ USDT = 5000.0 }}
positions = [
  {{ inst_id = "BTC-USDT-SWAP", side = "long", contracts = 100, entry = 60000.0, margin = "isolated", \
isolated_margin = 6000.0, leverage = 10 }},
]

[[okx.accounts]]
name = "okx-multi"
api_key = "{OKX_KEY_MULTI}"
secret = "{OKX_SECRET_MULTI}"
passphrase = "{OKX_PASS_MULTI}"
mode = "multi"
balances = {{ USDT = 2000.0, BTC = 0.5 }}
liabilities = {{ USDT = 1000.0 }}
positions = [
  {{ inst_id = "ETH-USDT-SWAP", side = "short", contracts = 500, entry = 3000.0, leverage = 5 }},
  {{ inst_id = "BTC-USDT-SWAP", side = "long", contracts = 20, entry = 59000.0, leverage = 10 }},
]
"""


def okx_scenario() -> Scenario:
    return scenario_from_toml(OKX_TOML, source="okx-small")


def okx_headers(secret: str, key: str, passphrase: str, method: str, path_qs: str, body: str = "",
                *, when: datetime | None = None) -> dict[str, str]:
    moment = when or datetime.now(UTC)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    sig = base64.b64encode(hmac.new(secret.encode(), (stamp + method + path_qs + body).encode(),
                                    hashlib.sha256).digest()).decode()
    return {"OK-ACCESS-KEY": key, "OK-ACCESS-SIGN": sig, "OK-ACCESS-TIMESTAMP": stamp,
            "OK-ACCESS-PASSPHRASE": passphrase}


def ws_login_args(secret: str, key: str, passphrase: str, stamp: str) -> dict[str, Any]:
    sig = base64.b64encode(hmac.new(secret.encode(), (stamp + "GET/users/self/verify").encode(),
                                    hashlib.sha256).digest()).decode()
    return {"op": "login", "args": [{"apiKey": key, "passphrase": passphrase, "timestamp": stamp, "sign": sig}]}


def okx_ccxt(emu: EmulatorServer, key: str, secret: str, passphrase: str) -> Any:
    import ccxt.pro as ccxtpro

    ex = ccxtpro.okx({"apiKey": key, "secret": secret, "password": passphrase, "enableRateLimit": False,
                      "options": {"ws": {"compress": 0}, "defaultType": "swap"}})
    ex.urls["api"] = localize(ex.urls["api"], emu.rest_url, emu.ws_url)
    assert external_urls(ex.urls["api"]) == []
    return ex
