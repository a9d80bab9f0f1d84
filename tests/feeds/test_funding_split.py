"""Hedge-mode funding per leg: the split of the exchange's records, the store's per-leg figures, and the
Binance funding book's reconciliation (fake REST answers, a real store)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from liqwatch.clock import FakeClock
from liqwatch.feeds.binance_funding import BinanceFunding
from liqwatch.feeds.held import HeldLegs
from liqwatch.funding_split import Leg, SettledRate, Settlement, rate_for, settlements, split
from liqwatch.model import (
    AccountSpec,
    AccountState,
    Exchange,
    FundingPayment,
    MarginMode,
    Position,
    PositionMode,
    Side,
)
from liqwatch.risk.registry import risk_rules
from liqwatch.store import FundingPaid, MonitorStore
from liqwatch.tiers import TierTable

BTC = "BTC/USDT:USDT"
T8 = datetime(2026, 1, 1, 8, tzinfo=UTC)
FLAT = TierTable.flat(0.004)


def record(amount: float, pid: str, at: datetime = T8) -> FundingPayment:
    return FundingPayment(BTC, amount, at, payment_id=pid)


def test_each_leg_gets_its_own_share_signed_by_side() -> None:
    # Long 0.3 and short 0.1 at mark 60,000 and rate +0.0001: the long pays 1.80, the short receives 0.60.
    [s] = settlements([record(-1.20, "1")])
    result = split(s, [Leg(Side.LONG, 0.3), Leg(Side.SHORT, 0.1)], SettledRate(BTC, T8, 0.0001, 60_000.0))
    assert result is not None and result.reconciled
    by_side = {p.side: p.amount for p in result.legs}
    assert by_side[Side.LONG] == pytest.approx(-1.80)
    assert by_side[Side.SHORT] == pytest.approx(0.60)
    assert sum(by_side.values()) == pytest.approx(-1.20, abs=1e-12)  # the exchange's own total


def test_per_leg_records_of_one_settlement_are_grouped_and_summed() -> None:
    # Binance may book one record per leg, still without a side: the settlement is their sum.
    recs = [record(-1.8, "1"), record(0.6, "2", T8 + timedelta(milliseconds=3)),
            record(-0.5, "3", T8 + timedelta(hours=8))]
    groups = settlements(recs)
    assert [len(g.records) for g in groups] == [2, 1]
    assert groups[0].total == pytest.approx(-1.2)


def test_rounding_is_spread_but_a_real_difference_is_flagged() -> None:
    legs = [Leg(Side.LONG, 0.3), Leg(Side.SHORT, 0.1)]
    rate = SettledRate(BTC, T8, 0.0001, 60_000.0)
    [s] = settlements([record(-1.20000001, "1")])  # one unit of Binance's 8th decimal off
    ok = split(s, legs, rate)
    assert ok is not None and ok.reconciled
    assert sum(p.amount for p in ok.legs) == pytest.approx(-1.20000001, abs=1e-12)
    [s] = settlements([record(-1.35, "2")])  # a leg was larger at the settlement than now
    bad = split(s, legs, rate)
    assert bad is not None and not bad.reconciled
    assert bad.difference == pytest.approx(-0.15)


def test_two_legs_without_the_settled_rate_wait_one_leg_takes_the_whole_record() -> None:
    [s] = settlements([record(-1.2, "1")])
    assert split(s, [Leg(Side.LONG, 0.3), Leg(Side.SHORT, 0.1)], None) is None
    only = split(s, [Leg(Side.SHORT, 0.1)], None)
    assert only is not None and [(p.side, p.amount) for p in only.legs] == [(Side.SHORT, -1.2)]
    nobody = split(s, [], None)
    assert nobody is not None and nobody.legs == ()


def test_the_settled_rate_is_the_same_symbols_nearest() -> None:
    s = Settlement(BTC, T8 + timedelta(seconds=2), (record(-1.0, "1"),))
    rates = [SettledRate(BTC, T8 - timedelta(hours=8), 0.5, 1.0), SettledRate(BTC, T8, 0.0001, 60_000.0),
             SettledRate("ETH/USDT:USDT", T8, 0.9, 1.0)]
    assert rate_for(s, rates) == rates[1]
    assert rate_for(s, rates[:1]) is None  # eight hours away is another settlement


def _hedge_store() -> tuple[MonitorStore, FakeClock, HeldLegs]:
    clock = FakeClock(T8 - timedelta(minutes=5))
    store = MonitorStore(clock)
    spec = AccountSpec("hedge", Exchange.BINANCE, PositionMode.HEDGE)
    store.add_account(spec, risk_rules(Exchange.BINANCE))
    legs = tuple(Position(BTC, side, size, 60_000.0, MarginMode.CROSS, FLAT, PositionMode.HEDGE, leverage=20)
                 for side, size in ((Side.LONG, 0.3), (Side.SHORT, 0.1)))
    # A REST snapshot carries its exchange time: the legs' openings are dated by it, never the local clock.
    state = AccountState(spec, 8_000.0, legs, as_of=clock.now())
    store.apply(state)
    held = HeldLegs()  # the adapter's own record of what it applied (``FeedAdapter.emit``)
    held.applied(state)
    clock.advance(300)
    return store, clock, held


def _since_open(store: MonitorStore) -> dict[Side, float | None]:
    return {p.risk.side: p.funding_paid_since_open for p in store.snapshot().account("hedge").positions}


def test_store_shows_each_legs_share_and_the_account_total_once() -> None:
    store, _, _ = _hedge_store()
    [s] = settlements([record(-1.2, "1")])
    result = split(s, [Leg(Side.LONG, 0.3), Leg(Side.SHORT, 0.1)], SettledRate(BTC, T8, 0.0001, 60_000.0))
    assert result is not None
    store.apply(FundingPaid("hedge", s.records, legs=()))
    store.apply(FundingPaid("hedge", (), legs=result.legs))
    assert _since_open(store) == {Side.LONG: pytest.approx(-1.8), Side.SHORT: pytest.approx(0.6)}
    assert store.snapshot().account("hedge").funding_today == pytest.approx(-1.2)
    assert [p.amount for _, p in store.snapshot().funding_payments] == [-1.2]  # as booked, for history


class _FakeBinance:
    """The two REST answers the funding book reads, and what it asked for."""

    def __init__(self, income: list[dict[str, Any]], rates: list[dict[str, Any]]) -> None:
        self.income = income
        self.rates = rates
        self.asked: list[str] = []

    async def signed(self, path: str, params: dict[str, str]) -> Any:
        self.asked.append(path)
        return self.income

    async def public(self, path: str, params: dict[str, str]) -> Any:
        self.asked.append(path)
        return self.rates


def _income(amount: str, tran: int) -> dict[str, Any]:
    return {"symbol": "BTCUSDT", "incomeType": "FUNDING_FEE", "income": amount, "asset": "USDT",
            "time": int(T8.timestamp() * 1000), "tranId": tran, "tradeId": ""}


RATE = [{"symbol": "BTCUSDT", "fundingTime": int(T8.timestamp() * 1000), "fundingRate": "0.00010000",
         "markPrice": "60000.00000000"}]


async def test_funding_book_splits_hedge_legs_and_reconciles_with_the_income() -> None:
    store, _, held = _hedge_store()
    fake = _FakeBinance([_income("-1.80000000", 1), _income("0.60000000", 2)], RATE)
    book = BinanceFunding("hedge", store, held, fake.signed, fake.public)
    await book.fetch(PositionMode.HEDGE)
    assert "/fapi/v1/fundingRate" in fake.asked
    assert _since_open(store) == {Side.LONG: pytest.approx(-1.8), Side.SHORT: pytest.approx(0.6)}
    assert not [i for i in store.incidents if "funding" in i]
    await book.fetch(PositionMode.HEDGE)  # the same page again: nothing counted twice
    assert _since_open(store) == {Side.LONG: pytest.approx(-1.8), Side.SHORT: pytest.approx(0.6)}
    assert store.snapshot().account("hedge").funding_today == pytest.approx(-1.2)


async def test_funding_book_reports_legs_that_do_not_add_up_to_the_income() -> None:
    store, _, held = _hedge_store()
    fake = _FakeBinance([_income("-2.10000000", 7)], RATE)  # 0.90 more than the legs' own 1.20
    book = BinanceFunding("hedge", store, held, fake.signed, fake.public)
    await book.fetch(PositionMode.HEDGE)
    assert book.mismatches == 1
    [incident] = [i for i in store.incidents if "funding" in i]
    assert "hedge: BTC/USDT:USDT" in incident and "-0.90000000" in incident
    legs = _since_open(store)
    assert sum(v for v in legs.values() if v is not None) == pytest.approx(-2.1)  # the exchange's total kept


async def test_funding_book_waits_for_the_settled_rate_rather_than_guess() -> None:
    store, _, held = _hedge_store()
    fake = _FakeBinance([_income("-1.20000000", 1)], [])
    book = BinanceFunding("hedge", store, held, fake.signed, fake.public)
    await book.fetch(PositionMode.HEDGE)
    assert _since_open(store) == {Side.LONG: None, Side.SHORT: None}  # nothing shown rather than a guess
    assert store.snapshot().account("hedge").funding_today == pytest.approx(-1.2)
    fake.rates = RATE
    await book.fetch(PositionMode.HEDGE)
    assert _since_open(store) == {Side.LONG: pytest.approx(-1.8), Side.SHORT: pytest.approx(0.6)}
