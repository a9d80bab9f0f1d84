"""Issue 10: an account's standing warnings (an API key accepted with trading permissions, one without an IP
restriction) are shown in its position's detail pane and in check's output, not only once in the log."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.clock import FakeClock
from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, Position, PositionMode, Side
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable
from widgets.detail_lines import detail_lines

WARNING = "the API key has no IP restriction: anyone holding it can use it from anywhere"


def test_standing_warnings_are_shown_with_the_account() -> None:
    clock = FakeClock(datetime(2026, 5, 1, 12, tzinfo=UTC))
    store = MonitorStore(clock)
    spec = AccountSpec("main", Exchange.BINANCE, PositionMode.ONE_WAY)
    store.add_account(spec, risk_rules(Exchange.BINANCE))
    pos = Position("BTC/USDT:USDT", Side.LONG, 0.3, 61_000, MarginMode.CROSS, TierTable.flat(0.004),
                   PositionMode.ONE_WAY, 20, mark_price=60_000)
    store.apply(AccountState(spec, 8_000, (pos,)))
    plain = store.snapshot()
    store.set_account_warnings("main", (WARNING,))
    store.set_account_warnings("main", (WARNING,))  # standing: said again, logged once
    snap = store.snapshot()
    a = snap.account("main")
    assert a.warnings == (WARNING,)
    assert sum(WARNING in i for i in snap.incidents) == 1
    height = 20
    lines = detail_lines(a, a.positions[0], None, [], clock.now(), 100, height)
    texts = ["".join(text for text, _ in line) for line in lines]
    assert f"warning: {WARNING}" in texts
    assert len(lines) == len(detail_lines(plain.account("main"), plain.account("main").positions[0], None, [],
                                          clock.now(), 100, height))  # the plot gave the line up
    assert snapshot_json(snap)["accounts"][0]["warnings"] == [WARNING]
    assert f"  warning: {WARNING}" in snapshot_text(snap)
