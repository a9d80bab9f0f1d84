"""Snapshots for alert tests, built the real way: scripted events through a MonitorStore on a FakeClock."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.clock import FakeClock
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, MarkTick, Position, Side, Stamp
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorSnapshot, MonitorStore
from liqwatch.tiers import TierTable

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
SYMBOL = "BTC/USDT:USDT"
MMR = 0.005
ENTRY = 60_000.0
WALLET = 10_000.0
# With one cross long, distance and risk move together (risk 0.5 is ~1 % from liquidation): tests of the
# risk ladder switch the distance rules off so that each event they expect is the risk rule's. They test the
# ladder's mechanics on a fixed ladder (warning 0.5, critical 0.8, imminent 0.9), not the shipped defaults.
RISK_ONLY = AlertThresholds(warning=0.5, critical=0.8, liquidation_imminent=0.9, distance_pct_warning=None,
                            distance_pct_critical=None, distance_sigma_warning=None, distance_sigma_critical=None)
RISK_ONLY_MAP = ThresholdMap(RISK_ONLY)


def mark_for_risk(risk: float) -> float:
    """The mark at which the account's risk (MM / equity) is ``risk``: one cross long of 1 BTC."""
    if not risk > MMR:
        raise ValueError(f"risk {risk} is out of reach: a long's risk stays above its MMR {MMR}")
    return risk * (ENTRY - WALLET) / (risk - MMR)


class Scenario:
    def __init__(self, *, account: str = "main", max_age_s: float = 5.0, clock: FakeClock | None = None,
                 thresholds: ThresholdMap | None = None) -> None:
        self.clock = clock or FakeClock(T0)
        self.account = account
        self.store = MonitorStore(self.clock, thresholds)
        self.spec = AccountSpec(account, Exchange.BINANCE)
        self.store.add_account(self.spec, risk_rules(Exchange.BINANCE))
        self.channel = Channel(account, "mark", ChannelKind.MARKET, max_age_s)
        self.store.add_channel(self.channel)
        self.channel.subscribed(self.clock.monotonic())
        self.position = Position(SYMBOL, Side.LONG, 1.0, ENTRY, MarginMode.CROSS, TierTable.flat(MMR), leverage=10)
        self.store.apply(AccountState(self.spec, WALLET, (self.position,)))
        self.channel.synced(self.clock.monotonic())
        self.tick(59_000.0, advance=0.0)

    def tick(self, mark: float | None = None, *, risk: float | None = None, advance: float = 1.0,
             funding_rate: float | None = 0.0001) -> MonitorSnapshot:
        """Advance the clock, deliver a mark price (or the mark for ``risk``), return the snapshot."""
        if advance:
            self.clock.advance(advance)
        price = mark_for_risk(risk) if risk is not None else mark
        assert price is not None
        stamp = Stamp(self.clock.now(), self.clock.now())
        self.store.apply(MarkTick(Exchange.BINANCE, SYMBOL, price, stamp, funding_rate=funding_rate))
        self.channel.data(self.clock.monotonic())
        return self.store.snapshot()

    def close_while_blind(self) -> MonitorSnapshot:
        self.store.apply(AccountState(self.spec, WALLET, ()))
        return self.store.snapshot()

    def silence(self, seconds: float) -> MonitorSnapshot:
        """No data for ``seconds``: the channel goes STALE past its max age."""
        self.clock.advance(seconds)
        return self.store.snapshot()
