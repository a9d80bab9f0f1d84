"""A store fed a scripted event sequence under a frozen clock: what every TUI test watches (no sockets).

Four accounts on two exchanges: a cross account with a long and a short, a 30x isolated long that can be
pushed into danger, a Hyperliquid cross whale, and a Hyperliquid isolated short. ``Script`` moves marks,
ages the clock and lets feeds go quiet, so a test can reach any state deterministically.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from liqwatch.clock import FakeClock
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import (
    AccountSpec,
    AccountState,
    Exchange,
    FundingPayment,
    MarginMode,
    MarkTick,
    Position,
    Side,
    Stamp,
)
from liqwatch.risk.registry import risk_rules
from liqwatch.store import FundingPaid, MonitorStore
from liqwatch.tiers import TierTable
from tests.alerts.alert_scenarios import RISK_ONLY_MAP
from tui.alerts_adapter import EngineAlerts
from tui.backend import Backend

T0 = datetime(2026, 5, 1, 7, 21, 30, tzinfo=UTC)
INF = float("inf")

BTC_TIERS = TierTable.build([(0, 50_000, 0.004, 0.0), (50_000, 600_000, 0.005, None),
                             (600_000, 3_000_000, 0.01, None), (3_000_000, INF, 0.025, None)])
ETH_TIERS = TierTable.build([(0, 10_000, 0.005, 0.0), (10_000, 100_000, 0.0065, None),
                             (100_000, INF, 0.01, None)])
HL_BTC = TierTable.flat(1 / (2 * 40))
HL_SOL = TierTable.flat(1 / (2 * 20))

BIN, HL = Exchange.BINANCE, Exchange.HYPERLIQUID
BTC, ETH = "BTC/USDT:USDT", "ETH/USDT:USDT"
HBTC, HSOL = "BTC/USDC:USDC", "SOL/USDC:USDC"

ACCOUNTS: dict[str, tuple[Exchange, float, tuple[Position, ...]]] = {
    "binance-main": (BIN, 25_000.0, (
        Position(BTC, Side.LONG, 0.5, 58_500, MarginMode.CROSS, BTC_TIERS, leverage=10,
                 exchange_liquidation_price=9_950.0),
        Position(ETH, Side.SHORT, 4.0, 3_100, MarginMode.CROSS, ETH_TIERS, leverage=10),
    )),
    "binance-degen": (BIN, 2_000.0, (
        Position(ETH, Side.LONG, 10.0, 3_000, MarginMode.ISOLATED, ETH_TIERS, leverage=30, isolated_margin=1_000),
    )),
    "hl-whale": (HL, 400_000.0, (
        Position(HBTC, Side.LONG, 20.0, 61_000, MarginMode.CROSS, HL_BTC, leverage=5),
    )),
    "hl-iso": (HL, 5_000.0, (
        Position(HSOL, Side.SHORT, 300.0, 150.0, MarginMode.ISOLATED, HL_SOL, leverage=10, isolated_margin=4_500),
    )),
}
MARKS = {(BIN, BTC): 60_000.0, (BIN, ETH): 2_990.0, (HL, HBTC): 60_010.0, (HL, HSOL): 148.5}
RATES = {(BIN, BTC): 0.0001, (BIN, ETH): -0.00005, (HL, HBTC): 0.0000125, (HL, HSOL): 0.00002}


@dataclass
class Script:
    store: MonitorStore
    clock: FakeClock
    alerts: EngineAlerts
    channels: dict[str, list[Channel]] = field(default_factory=dict)
    marks: dict[tuple[Exchange, str], float] = field(default_factory=lambda: dict(MARKS))

    @property
    def backend(self) -> Backend:
        return Backend(self.store, self.alerts, "scripted")

    def mark(self, exchange: Exchange, symbol: str, price: float) -> None:
        self.marks[(exchange, symbol)] = price
        self._tick(exchange, symbol)

    def _tick(self, exchange: Exchange, symbol: str) -> None:
        now = self.clock.now()
        hours = 1 if exchange is HL else 8
        nxt = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while nxt.hour % hours:
            nxt += timedelta(hours=1)
        self.store.apply(MarkTick(exchange, symbol, self.marks[(exchange, symbol)], Stamp(now, now),
                                  funding_rate=RATES[(exchange, symbol)], next_funding_time=nxt))

    def feed(self, *accounts: str) -> None:
        """Data arrives on these accounts' channels (all accounts when none are named)."""
        mono = self.clock.monotonic()
        for name in accounts or tuple(self.channels):
            for ch in self.channels[name]:
                ch.data(mono) if ch.kind is ChannelKind.MARKET else ch.reconciled(mono)

    def step(self, seconds: float = 1.0, quiet: tuple[str, ...] = ()) -> None:
        """Time passes; every mark ticks again, except those of the ``quiet`` accounts' symbols, and their
        channels hear nothing."""
        self.clock.advance(seconds)
        silent = {(ACCOUNTS[n][0], p.symbol) for n in quiet for p in ACCOUNTS[n][2]}
        for key in self.marks:
            if key not in silent:
                self._tick(*key)
        self.feed(*(n for n in self.channels if n not in quiet))


def scripted(alert_thresholds: ThresholdMap | None = None) -> Script:
    """The store and its alerts judge with the same thresholds (by default the risk rules alone, so that
    ``into_danger`` raises exactly two alerts)."""
    thresholds = alert_thresholds or RISK_ONLY_MAP
    clock = FakeClock(T0)
    store = MonitorStore(clock, thresholds)
    script = Script(store, clock, EngineAlerts(thresholds, clock, store=store))
    mono = clock.monotonic()
    for name, (exchange, wallet, positions) in ACCOUNTS.items():
        store.add_account(AccountSpec(name, exchange), risk_rules(exchange))
        mark = Channel(name, "mark", ChannelKind.MARKET, 5.0)
        user = Channel(name, "user", ChannelKind.QUIET, 60.0)
        for ch in (mark, user):
            store.add_channel(ch)
            ch.subscribed(mono)
        script.channels[name] = [mark, user]
        opened = [Position(p.symbol, p.side, p.size, p.entry_price, p.margin_mode, p.tiers,
                           leverage=p.leverage, isolated_margin=p.isolated_margin,
                           exchange_liquidation_price=p.exchange_liquidation_price,
                           opened_at=T0 - timedelta(days=2)) for p in positions]
        store.apply(AccountState(AccountSpec(name, exchange), wallet, tuple(opened)))
        for ch in (mark, user):
            ch.synced(mono)
    for key in MARKS:
        script._tick(*key)
    script.feed()
    paid = (FundingPayment(BTC, -2.95, T0 - timedelta(hours=7, minutes=21), payment_id="f1"),
            FundingPayment(BTC, -3.05, T0 - timedelta(hours=15, minutes=21), payment_id="f2"))
    store.apply(FundingPaid("binance-main", paid))
    return script


def into_danger(script: Script) -> None:
    """The 30x ETH long goes critical, the whale's BTC warns: two alerts."""
    script.mark(BIN, ETH, 2_921.0)
    script.mark(HL, HBTC, 41_900.0)
    script.feed()
