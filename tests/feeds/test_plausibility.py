"""The shared plausibility checks behind the review's frame defects: a non-finite risk is never "ok", absurd
but finite figures are refused at the wire, one unreadable item of a REST answer spoils only itself, and history
records are held to the exchange-time rule."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from liqwatch.clock import FakeClock
from liqwatch.config.alerts import AlertThresholds
from liqwatch.danger import assess
from liqwatch.feeds.binance_wire import parse_position_risk_rows, unreadable_position
from liqwatch.feeds.frame_time import ServerClock
from liqwatch.feeds.hyperliquid_wire import parse_clearinghouse, parse_meta_and_ctxs
from liqwatch.feeds.wire import MARK_MOVE_LIMIT, WireError, implausible_mark, plausible_notional
from liqwatch.model import Exchange, MarginMode, Position, Side
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.evaluate import AccountRisk, evaluate_account
from liqwatch.risk.registry import risk_rules
from liqwatch.status import Status
from liqwatch.tiers import TierTable

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _cross_account(risk: float, liquidated: bool = False) -> AccountRisk:
    """A real one-position cross account whose risk figure is then replaced (as an overflow would)."""
    pos = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000.0, MarginMode.CROSS, TierTable.flat(0.005), leverage=10)
    acc = evaluate_account(risk_rules(Exchange.BINANCE), 10_000.0, [pos])
    return replace(acc, risk=risk, liquidated=liquidated)


def test_a_risk_that_is_not_a_number_is_never_ok() -> None:
    t = AlertThresholds()
    assert assess(_cross_account(math.nan), t).status is Status.STALE
    assert assess(_cross_account(math.inf), t).status is Status.STALE
    assert assess(_cross_account(math.nan, liquidated=True), t).status is Status.CRITICAL  # liquidation first
    assert assess(_cross_account(0.01), t).status is Status.OK


def test_risk_of_overflowed_figures_is_nan_not_none_nor_a_number() -> None:
    assert math.isnan(ExchangeRisk.risk(math.inf, 1.0))  # None would read as "equity <= 0"
    assert math.isnan(ExchangeRisk.risk(1.0, math.inf))
    assert math.isnan(ExchangeRisk.risk(math.nan, 1.0))
    assert ExchangeRisk.risk(100.0, 50.0) == 0.5 and ExchangeRisk.risk(-1.0, 50.0) is None


def test_an_absurd_notional_is_refused() -> None:
    plausible_notional(1.5, 60_000.0, "BTC")
    plausible_notional(-2.0, 0.0, "BTC")  # entry 0: not evaluated later, not refused here
    for size, price in ((1e306, 50_000.0), (1.5, 1.7e308), (1e9, 1e4)):
        with pytest.raises(WireError, match="not a plausible notional"):
            plausible_notional(size, price, "BTC")


def test_a_mark_moving_more_than_the_limit_in_one_frame_is_implausible() -> None:
    assert implausible_mark(60_000.0, None) is None  # the first mark has no reference
    assert implausible_mark(60_000.0 * (MARK_MOVE_LIMIT - 1), 60_000.0) is None
    assert implausible_mark(60_000.0 / (MARK_MOVE_LIMIT - 1), 60_000.0) is None
    assert implausible_mark(1.7e308, 60_000.0) is not None
    assert implausible_mark(60_000.0 / (MARK_MOVE_LIMIT + 1), 60_000.0) is not None
    assert implausible_mark(0.0, None) is not None and implausible_mark(math.nan, None) is not None


def test_history_records_may_be_old_but_not_ahead_nor_before_2019() -> None:
    sc = ServerClock(FakeClock(NOW))
    assert sc.implausible(NOW - timedelta(days=3), NOW, record=True) is None
    assert sc.implausible(NOW - timedelta(days=3), NOW) is not None  # a live frame that old is no time
    assert sc.implausible(NOW + timedelta(days=3650), NOW, record=True) is not None
    seconds_as_ms = datetime.fromtimestamp(NOW.timestamp() / 1000.0, UTC)
    assert sc.implausible(seconds_as_ms, NOW, record=True) is not None


def _row(symbol: str, amount: str, **extra: str) -> dict[str, str]:
    row = {"symbol": symbol, "positionAmt": amount, "entryPrice": "2000", "markPrice": "2010",
           "liquidationPrice": "2500", "leverage": "10", "marginType": "cross", "isolatedWallet": "0",
           "positionSide": "BOTH"}
    row.update(extra)
    return row


def test_one_unreadable_position_row_spoils_only_itself() -> None:
    rows, bad = parse_position_risk_rows([
        _row("BTCUSDT", "0.5"), _row("ETHUSDT", "-2", liquidationPrice="NaN"),
        _row("SOLUSDT", "0", marginType="??"),  # no position: its fields do not matter
        _row("XRPUSDT", "1e306"),
    ])
    assert [r.symbol for r in rows] == ["BTC/USDT:USDT"]
    assert len(bad) == 2
    eth = unreadable_position(*bad[0])
    assert eth is not None and eth.key == ("ETH/USDT:USDT", Side.SHORT) and eth.size == 2.0
    assert "liquidationPrice" in eth.reason and eth.entry_price == 2000.0 and eth.exchange_liquidation_price is None
    assert "plausible notional" in bad[1][1]
    assert unreadable_position(_row("ETHUSDT", "n/a"), "field 'positionAmt' is not a number") is None


def _hl_position(coin: str, szi: str, mode: str = "cross", **extra: object) -> dict[str, object]:
    p: dict[str, object] = {"coin": coin, "szi": szi, "entryPx": "2000", "positionValue": "4000",
                            "unrealizedPnl": "0", "marginUsed": "400", "liquidationPx": "1500", "maxLeverage": 25,
                            "leverage": {"type": mode, "value": 10}}
    p.update(extra)
    return {"type": "oneWay", "position": p}


def test_one_unreadable_hyperliquid_position_is_not_evaluated_and_the_others_are() -> None:
    state = parse_clearinghouse({"marginSummary": {"accountValue": "10000"}, "assetPositions": [
        _hl_position("BTC", "0.1", positionValue="6000"), _hl_position("ETH", "2", "isolated", marginUsed="n/a")]}, {})
    assert [p.symbol for p in state.positions] == ["BTC/USDC:USDC"]
    (eth,) = state.unevaluated
    assert eth.key == ("ETH/USDC:USDC", Side.LONG) and "marginUsed" in eth.reason
    assert eth.margin_mode is MarginMode.ISOLATED
    with pytest.raises(WireError, match="cross wallet"):
        parse_clearinghouse({"marginSummary": {"accountValue": "1"},
                             "assetPositions": [_hl_position("BTC", "0.1", unrealizedPnl="x")]}, {})


def test_the_context_of_a_coin_not_held_is_never_read() -> None:
    meta = {"universe": [{"name": "BTC", "maxLeverage": 40}, {"name": "DOGE", "maxLeverage": 10},
                         {"name": "ETH", "maxLeverage": 25}]}
    ctxs = [{"markPx": "60000"}, {"markPx": None}, {"markPx": "n/a"}]
    bad: list[tuple[object, str]] = []
    tables, ticks = parse_meta_and_ctxs([meta, ctxs], NOW, {"BTC/USDC:USDC", "ETH/USDC:USDC"}, bad)
    assert [t.symbol for t in ticks] == ["BTC/USDC:USDC"] and set(tables) >= {"BTC/USDC:USDC", "ETH/USDC:USDC"}
    assert len(bad) == 1 and "ETH" in bad[0][1]  # the coin held is counted; DOGE, not held, never matters
