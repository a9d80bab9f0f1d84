"""The store's order of accounts: nearest to liquidation first, by each account's nearest position."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, MarkTick, Position, Side, Stamp
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
ETH = "ETH/USDT:USDT"


def _store(accounts: dict[str, tuple[float, tuple[Position, ...]]]) -> MonitorStore:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    for name, (wallet, positions) in accounts.items():
        spec = AccountSpec(name, Exchange.BINANCE)
        store.add_account(spec, risk_rules(Exchange.BINANCE))
        ch = Channel(name, "mark", ChannelKind.MARKET, 5.0)
        store.add_channel(ch)
        ch.subscribed(clock.monotonic())
        store.apply(AccountState(spec, wallet, positions))
        ch.synced(clock.monotonic())
        ch.data(clock.monotonic())
    store.apply(MarkTick(Exchange.BINANCE, ETH, 3_000.0, Stamp(clock.now(), clock.now())))
    return store


def test_accounts_rank_by_their_nearest_position_not_by_risk() -> None:
    # "risky": an isolated 10x long whose MMR is high (risk ~0.6, ~4 % away); "near": a 30x long at a low
    # MMR (risk ~0.2, ~2.7 % away). Nearest first, whatever the risk says.
    risky = Position(ETH, Side.LONG, 1.0, 3_000, MarginMode.ISOLATED, TierTable.flat(0.06), leverage=10,
                     isolated_margin=300)
    near = Position(ETH, Side.LONG, 10.0, 3_000, MarginMode.ISOLATED, TierTable.flat(0.005), leverage=30,
                    isolated_margin=1_000)
    store = _store({"risky": (1_000.0, (risky,)), "near": (1_000.0, (near,)), "flat": (1_000.0, ())})
    snap = store.snapshot()
    by_name = {a.name: a for a in snap.accounts}
    r_risky, r_near = (by_name[n].positions[0].risk for n in ("risky", "near"))
    assert r_risky.risk is not None and r_near.risk is not None and r_risky.risk > r_near.risk
    assert r_near.distance_to_liquidation_pct is not None and r_risky.distance_to_liquidation_pct is not None
    assert r_near.distance_to_liquidation_pct < r_risky.distance_to_liquidation_pct
    assert [a.name for a in snap.accounts] == ["near", "risky", "flat"]  # no position: last
