"""The book the UI and tick-to-alert benchmarks watch: ``accounts`` Binance cross accounts of ``per_account``
positions, one symbol per position (so every tick moves one row), each account's market channel LIVE.

The first account's first position is a long (the tick-to-alert benchmark crosses its warning by moving that
mark down); the others are long or short at random, the same for a given seed.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

from liqwatch.clock import SystemClock
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, Position, Side
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable

TIERS = TierTable.build([(0, 50_000, 0.004, 0.0), (50_000, 600_000, 0.005, None), (600_000, math.inf, 0.01, None)])


@dataclass
class Book:
    store: MonitorStore
    channels: dict[str, Channel]
    symbols: list[tuple[str, str]]  # (account, symbol)
    marks: dict[str, float]
    first_long: str  # the first account's first position: a long


def build_book(accounts: int = 10, per_account: int = 20, seed: int = 3, clock: SystemClock | None = None) -> Book:
    rng = random.Random(seed)
    clock = clock or SystemClock()
    store = MonitorStore(clock)
    channels: dict[str, Channel] = {}
    symbols: list[tuple[str, str]] = []
    marks: dict[str, float] = {}
    mono = clock.monotonic()
    first_long = ""
    for a in range(accounts):
        name = f"acct-{a:02d}"
        spec = AccountSpec(name, Exchange.BINANCE)
        store.add_account(spec, risk_rules(Exchange.BINANCE))
        ch = Channel(name, "mark", ChannelKind.MARKET, 5.0)
        store.add_channel(ch)
        ch.subscribed(mono)
        positions = []
        for p in range(per_account):
            symbol = f"C{a:02d}{p:02d}/USDT:USDT"
            price = rng.uniform(1, 1000)
            marks[symbol] = price
            first = a == 0 and p == 0
            side = Side.LONG if (rng.random() < 0.6 or first) else Side.SHORT
            if first:
                first_long = symbol
            positions.append(Position(symbol, side, 2_000 / price, price * rng.uniform(0.95, 1.05),
                                      MarginMode.CROSS, TIERS, leverage=10))
            symbols.append((name, symbol))
        store.apply(AccountState(spec, 8_000.0, tuple(positions)))
        ch.data(mono)
        ch.synced(mono)
        channels[name] = ch
    return Book(store, channels, symbols, marks, first_long)
