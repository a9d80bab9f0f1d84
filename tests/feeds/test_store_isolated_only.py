"""An account with no cross position has no account-level margin ratio or risk: null and "-", never 0, and
never read as "equity gone"; its isolated positions alone judge its danger."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch import danger
from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.clock import FakeClock
from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
from liqwatch.config.alerts import AlertThresholds
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, MarkTick, Position, Side, Stamp
from liqwatch.risk.registry import risk_rules
from liqwatch.status import Status
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable
from widgets.account_rows import COLUMNS, account_entries
from widgets.fmt import NA

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
SPEC = AccountSpec("degen", Exchange.BINANCE)


def isolated(mark: float) -> Position:
    # 30x isolated long: 0.5 % maintenance, 2,000 isolated margin on 60,000 notional.
    return Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.ISOLATED, TierTable.flat(0.005),
                    leverage=30, isolated_margin=2_000.0, mark_price=mark)


def store_with(cross_wallet: float, mark: float) -> MonitorStore:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    ch = Channel("degen", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    ch.subscribed(clock.monotonic())
    store.apply(AccountState(SPEC, cross_wallet, (isolated(mark),)))
    ch.synced(clock.monotonic())
    # The position's own mark: its levels are judged on fresh data only (as its alerts are).
    store.apply(MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", mark, Stamp(clock.now(), clock.now())))
    ch.data(clock.monotonic())
    return store


def test_an_all_isolated_account_has_no_account_ratio_and_shows_null_and_dash() -> None:
    store = store_with(300.0, 58_500.0)  # 1,500 of its 2,000 margin lost: risk ~0.58, ~0.36 % from liq
    a = store.snapshot().account("degen")
    assert a.risk is not None and a.risk.margin_ratio is None and a.risk.risk is None
    assert not a.risk.equity_gone and not a.risk.liquidated
    assert a.positions[0].risk.risk is not None and a.positions[0].risk.risk > 0.5
    assert a.status is Status.CRITICAL  # the isolated position (distance) judges the account
    doc = snapshot_json(store.snapshot())["accounts"][0]
    assert doc["margin_ratio"] is None and doc["risk"] is None
    line = next(line for line in snapshot_text(store.snapshot()).splitlines() if line.startswith("degen ["))
    assert "ratio -  risk -" in line
    cells = dict(zip((c.key for c in COLUMNS), account_entries(store.snapshot())[0].cells, strict=True))
    assert cells["ratio"][0] == NA


def test_no_cross_wallet_and_only_isolated_positions_is_not_liquidation_imminent() -> None:
    # Hyperliquid-style: every dollar in the isolated margins, nothing in the cross wallet.
    store = store_with(0.0, 60_000.0)
    a = store.snapshot().account("degen")
    assert a.risk is not None and a.risk.risk is None
    assessment = danger.assess(a.risk, AlertThresholds())
    account = [r for r in assessment.account if r.rule is AlertRule.RISK]
    assert account and account[0].level is None  # not forced to liquidation imminent
    assert assessment.level is not AlertLevel.LIQUIDATION_IMMINENT
    assert a.status is Status.OK
    assert not a.risk.equity_gone
    # Ranked by its position's distance, not first as "equity gone".
    from liqwatch.store import _rank_key

    assert _rank_key(a)[0] == 1
