"""A Bybit part for the demo scenario, ready for integration to append to ``demo_scenario.DEMO_TOML``: one
unified trading account (cross margin) that has borrowed USDT against BTC collateral and holds a BTC long.

Not in the demo yet (the demo scenario is integration's to change); ``tests/feeds/test_bybit_demo_part.py``
runs the demo with it appended. The key and secret are the demo's own and open no real account.
"""

from __future__ import annotations

BYBIT_DEMO_TOML = """
[[bybit.markets]]
symbol = "BTCUSDT"
path = "BTC"
tick_size = 0.1

[[bybit.markets]]
symbol = "ETHUSDT"
path = "ETH"
tick_size = 0.01

[[bybit.accounts]]
name = "bybit-uta"
api_key = "DEMOBYBITKEY000001"
secret = "demobybitsecret00000000000000000001"
# USDT borrowed (a negative wallet) against 0.05 BTC of collateral; interest accrues hourly.
usdt_wallet = -1500.0
hourly_borrow_rate = 0.0000025

[[bybit.accounts.collateral]]
coin = "BTC"
amount = 0.05
path = "BTC"
collateral_ratio = 0.95

[[bybit.accounts.positions]]
symbol = "BTCUSDT"
side = "long"
size = 0.2
entry = 59000.0
leverage = 10
"""
