"""The screen shows a position that is not evaluated as such, and an account whose mode is not modelled."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.clock import FakeClock
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.model import (
    AccountSpec,
    AccountState,
    Exchange,
    MarginMode,
    Position,
    Side,
    UnevaluatedPosition,
)
from liqwatch.risk.registry import risk_rules
from liqwatch.status import Status
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable
from widgets.account_rows import account_entries
from widgets.position_rows import find_unevaluated, flow, position_entries

SPEC = AccountSpec("main", Exchange.BINANCE)


def store_with(state: AccountState) -> MonitorStore:
    clock = FakeClock(datetime(2026, 5, 1, 12, tzinfo=UTC))
    store = MonitorStore(clock)
    store.add_account(SPEC, risk_rules(Exchange.BINANCE))
    ch = Channel("main", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    ch.subscribed(clock.monotonic())
    store.apply(state)
    ch.synced(clock.monotonic())
    return store


def row_text(cells: tuple[tuple[str, str], ...]) -> str:
    return " ".join(text for text, _ in cells)


BTC = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, TierTable.flat(0.005), leverage=10)
ETH = UnevaluatedPosition("ETH/USDT:USDT", Side.SHORT, 4.0, "no leverage bracket",
                          entry_price=3050.0, mark_price=3000.0, margin_mode=MarginMode.CROSS)


def test_a_position_not_evaluated_is_a_row_saying_so_with_what_is_known() -> None:
    snap = store_with(AccountState(SPEC, 10_000, (BTC,), unevaluated=(ETH,))).snapshot()
    rows = {e.key: e for e in position_entries(snap)}
    assert set(rows) == {"main|BTC/USDT:USDT|long", "main|ETH/USDT:USDT|short"}
    text = " ".join(row_text(rows["main|ETH/USDT:USDT|short"].cells).split())
    assert "not evaluated: no leverage bracket" in text
    assert "3,050.00" in text and "3,000.00" in text and "short" in text
    assert find_unevaluated(snap, "main|ETH/USDT:USDT|short") == ETH
    account = account_entries(snap)[0]
    assert snap.account("main").status is Status.STALE
    assert "? STALE" in row_text(account.cells) and "1 not eval" in row_text(account.cells)


def test_an_account_whose_mode_is_not_modelled_says_so_in_the_accounts_pane() -> None:
    snap = store_with(AccountState(SPEC, 10_000, (BTC,), mode_not_modelled="Binance Multi-Assets mode")).snapshot()
    text = " ".join(row_text(account_entries(snap)[0].cells).split())
    assert "mode not modelled: Binance Multi-Ass" in text and "? STALE" in text and "MODE N/M" in text
    rows = position_entries(snap)
    assert len(rows) == 1 and "not evaluated: mode not modelled" in " ".join(row_text(rows[0].cells).split())


def test_flow_lays_a_message_over_columns_word_by_word() -> None:
    assert flow("not evaluated: no bracket", (7, 10, 10)) == ["not    ", "evaluated:", "no bracket"]
    assert flow("modelled: Multi-Assets", (7, 10, 6)) == ["       ", "modelled: ", "Multi…"]  # cut: fits none
    assert flow("entry 0", (7, 6)) == ["entry 0", "      "]
