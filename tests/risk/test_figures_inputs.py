"""The edges of review 12's fixes to the positions-tab figures: what a fix must not take away (a stream state
keeps the exchange's free figures, a realign still drops misdated live minutes, a candle on an exchange clock
known to run ahead is kept) and the fee rate Hyperliquid's break-even is computed from is checked as a figure."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from liqwatch.feeds.candles import seed_volatility
from liqwatch.feeds.hyperliquid_wire import parse_user_fees
from liqwatch.feeds.wire import CandleClose, WireError
from liqwatch.model import AccountSpec, AccountState
from liqwatch.risk.volatility import MinuteCloses
from tests.tui.scripted import ACCOUNTS, BIN, BTC, MARKS, T0, scripted


def test_a_stream_state_keeps_the_exchanges_free_figures() -> None:
    # Binance's ACCOUNT_UPDATE never carries availableBalance/maxWithdrawAmount: the last REST ones stand.
    s = scripted()
    exchange, wallet, positions = ACCOUNTS["binance-main"]
    marked = tuple(replace(p, mark_price=MARKS[(exchange, p.symbol)]) for p in positions)
    spec = AccountSpec("binance-main", exchange)
    s.store.apply(AccountState(spec, wallet, marked, exchange_available_balance=1_000.0, exchange_withdrawable=900.0))
    s.store.apply(AccountState(spec, wallet, marked, from_stream=True))
    r = s.store.snapshot().account("binance-main").risk
    assert r is not None and r.exchange_withdrawable == 900.0 and r.exchange_available_balance == 1_000.0


@pytest.mark.parametrize("rate", ["-0.0001", "0.1", "1e300"])
def test_an_implausible_hyperliquid_fee_rate_is_refused(rate: str) -> None:
    with pytest.raises(WireError, match="userCrossRate"):
        parse_user_fees({"userCrossRate": rate, "userAddRate": "0.00015"})


def test_hyperliquid_fee_rate_is_its_cross_rate() -> None:
    assert parse_user_fees({"userCrossRate": "0.000315", "userAddRate": "0.0001"}) == pytest.approx(0.000315)
    with pytest.raises(WireError, match="userCrossRate"):
        parse_user_fees({"userAddRate": "0.0001"})


def test_a_realign_still_drops_live_minutes_misdated_ahead() -> None:
    t = 1_780_000_000.0 - 1_780_000_000.0 % 60
    closes = MinuteCloses()
    closes.seed([(t - 60.0 * k, 100.0) for k in range(10, 0, -1)])
    closes.update(t + 3_600.0, 101.0, realign=True)  # the local clock an hour ahead, the mark stamped by it
    closes.update(t + 5.0, 102.0, realign=True)  # re-measured: the minute really running
    minutes = [m for m, _ in closes.series()]
    assert minutes[-1] == t and t + 3_600.0 not in minutes
    assert len(minutes) == 11  # the ten candles kept, the live minute at its right time


def test_a_candle_ahead_of_our_clock_by_the_exchanges_known_offset_is_kept() -> None:
    s = scripted()
    s.store.set_clock_offset("binance-main", 600.0)  # Binance's clock measured 10 minutes ahead of ours
    now = T0.timestamp() - T0.timestamp() % 60

    async def fetch(interval: str, count: int) -> list[CandleClose]:
        if interval != "1m":
            return []
        return [CandleClose(int((now + 60.0 * k) * 1000), 60_000.0) for k in range(-60, 10)]

    assert asyncio.run(seed_volatility(s.store, BIN, BTC, fetch, "binance-main"))
    vol = s.store.volatility(BIN, BTC)
    assert max(t for t, _ in vol.closes.series()) == now + 60.0 * 9
