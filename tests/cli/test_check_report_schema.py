"""``check``'s report: every position object of the JSON carries the same keys (null where undefined), and the
text report prints each figure at one precision."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.clock import FakeClock
from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, Position, Side, UnevaluatedPosition
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable

T0 = datetime(2026, 5, 1, 12, tzinfo=UTC)
SPEC = AccountSpec("main", Exchange.BINANCE)
BTC = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, TierTable.flat(0.005), leverage=10,
               mark_price=59_000.0)
ETH = UnevaluatedPosition("ETH/USDT:USDT", Side.SHORT, 4.0, "no leverage bracket", entry_price=3050.0,
                          mark_price=3000.0, margin_mode=MarginMode.CROSS)


def snapshot_store() -> MonitorStore:
    clock = FakeClock(T0)
    store = MonitorStore(clock)
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    ch = Channel("main", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    ch.subscribed(clock.monotonic())
    store.apply(AccountState(SPEC, 10_000, (BTC,), unevaluated=(ETH,)))
    ch.synced(clock.monotonic())
    store.record_liquidation(LiquidatedPosition("main", "SOL/USDT:USDT", Side.LONG, 10.0, 140.0, T0), announce=False)
    return store


def test_every_position_object_carries_the_same_keys_whatever_its_state() -> None:
    doc = snapshot_json(snapshot_store().snapshot())
    positions = doc["accounts"][0]["positions"]
    assert [p["state"] for p in positions] == ["open", "open", "liquidated"]
    open_pos, unevaluated, liquidated = positions
    assert set(unevaluated) == set(open_pos) == set(liquidated)
    for key in ("roe", "exchange_roe", "liquidation_scope", "funding_since_open", "age_s", "liquidation_price"):
        assert key in unevaluated and unevaluated[key] is None
    assert unevaluated["not_evaluated"] == "no leverage bracket" and open_pos["not_evaluated"] is None
    assert open_pos["roe"] is not None and liquidated["price"] == 140.0 and open_pos["liquidated_at"] is None


def test_the_text_report_prints_distances_to_2_decimals_risk_to_4_and_upnl_signed() -> None:
    text = snapshot_text(snapshot_store().snapshot())
    line = next(line for line in text.splitlines() if line.strip().startswith("BTC/USDT:USDT"))
    # Mark 59,000 against entry 60,000: uPnL -1,000, a fixed-precision distance and risk.
    assert "uPnL -1,000.00" in line
    dist = line.split("dist ", 1)[1].split("%", 1)[0]
    assert len(dist.split(".")[1]) == 2, line
    risk = line.split("risk ", 1)[1].split(" ", 1)[0]
    assert len(risk.split(".")[1]) == 4, line
    account = next(line for line in text.splitlines() if line.startswith("main ["))
    assert len(account.split("risk ", 1)[1].split(" ", 1)[0].split(".")[1]) == 4, account
