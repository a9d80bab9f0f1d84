"""OKX's part of the demo, ready for integration: a TOML fragment of the ``[okx]`` tables over the demo's own
paths (BTC, ETH, SOL), and the banner lines of its accounts. Not part of the demo until ``demo_scenario``
appends it (``DEMO_TOML + OKX_DEMO_TOML``) and ``describe_accounts`` extends its lines with ``okx_lines``.

Two accounts: single-currency margin with an isolated ETH long; multi-currency margin, cross, with USDT and
BTC collateral under OKX's discount-rate tiers and a USDT borrowing. The keys open no real account.
"""

from __future__ import annotations

from liqwatch.emulator.okx_scenario import OkxSpec

OKX_DEMO_TOML = """
[[okx.markets]]
inst_id = "BTC-USDT-SWAP"
path = "BTC"
ct_val = 0.01

[[okx.markets]]
inst_id = "ETH-USDT-SWAP"
path = "ETH"
ct_val = 0.1
tick_decimals = 2
tiers = [{ max_contracts = 5000, mmr = 0.005, max_leverage = 100 }, { mmr = 0.01, max_leverage = 50 }]

[[okx.markets]]
inst_id = "SOL-USDT-SWAP"
path = "SOL"
ct_val = 1.0
tick_decimals = 3
tiers = [{ max_contracts = 20000, mmr = 0.01, max_leverage = 50 }, { mmr = 0.02, max_leverage = 25 }]

[[okx.currencies]]
ccy = "USDT"

[[okx.currencies]]
ccy = "BTC"
path = "BTC"
hourly_interest = 0.0000025
discount = [{ floor_usd = 0, rate = 0.98 }, { floor_usd = 20000, rate = 0.95 }, { floor_usd = 100000, rate = 0.9 }]

[[okx.accounts]]
name = "okx-iso"
api_key = "5f0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"
secret = "0D5E7C1A9B3F4E6D8C2B1A0F9E8D7C6B"
passphrase = "demo-okx-iso"
mode = "single"
balances = { USDT = 3000.0 }
positions = [{ inst_id = "ETH-USDT-SWAP", side = "long", contracts = 100, entry = 3000.0, margin = "isolated", \
isolated_margin = 1500.0, leverage = 20 }]

[[okx.accounts]]
name = "okx-multi"
api_key = "6a1d2b3c-4d5e-4f60-9b7c-8d9e0f1a2b3c"
secret = "1E6F8D2B0C4A5F7E9D3C2B1A0F9E8D7C"
passphrase = "demo-okx-multi"
mode = "multi"
balances = { USDT = 4000.0, BTC = 0.3 }
liabilities = { USDT = 2000.0 }
positions = [
  { inst_id = "SOL-USDT-SWAP", side = "long", contracts = 400, entry = 152.0, leverage = 10 },
  { inst_id = "ETH-USDT-SWAP", side = "short", contracts = 200, entry = 2990.0, leverage = 10 },
]
"""


def okx_lines(okx: OkxSpec, *, show_secrets: bool) -> list[str]:
    """The start-up banner's lines of the OKX accounts (as ``demo_scenario.describe_accounts`` prints)."""
    hidden = "(from the scenario file)"
    return [
        f"  okx          {a.name:<16} api_key={a.api_key} secret={a.secret if show_secrets else hidden} "
        f"passphrase={a.passphrase if show_secrets else hidden} ({a.mode}-currency margin)"
        for a in okx.accounts
    ]
