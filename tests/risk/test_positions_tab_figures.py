"""The figures of an exchange's positions tab (issue 12): break-even price, distance to liquidation in the
quote currency, free margin, effective leverage, and the mark's minute closes for the detail plot.

Figures from the reference cases (cases.json, copied here; nothing reads it at run time) and from the
exchanges' published definitions."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liqwatch.feeds.binance_wire import parse_account_free, parse_account_update, parse_position_risk
from liqwatch.model import MarginMode, Position, Side
from liqwatch.risk.binance import BinanceRisk
from liqwatch.risk.evaluate import evaluate_account, free_margin, snapshot_free_margin
from liqwatch.risk.hyperliquid import HyperliquidRisk, fee_break_even
from liqwatch.risk.volatility import MinuteVolatility
from liqwatch.tiers import TierTable

INF = float("inf")
#: BTCUSDT brackets 1-3 of Binance's 2024 leverageBracket (cum its own): cases.json binance_..._bracket2_2024.
BTC_2024 = TierTable.build([(0, 50_000, 0.004, 0.0), (50_000, 600_000, 0.005, 50.0), (600_000, INF, 0.0065, 950.0)])


def _risk_row(**over: str) -> dict[str, object]:
    row: dict[str, object] = {
        "symbol": "BTCUSDT", "positionAmt": "0.001", "entryPrice": "43578.07", "breakEvenPrice": "43595.50122800",
        "markPrice": "43532.3", "unRealizedProfit": "-0.04577", "liquidationPrice": "21894.31", "leverage": "2",
        "marginType": "isolated", "isolatedWallet": "21.82418506", "positionSide": "BOTH",
    }
    row.update(over)
    return row


def test_binance_break_even_is_its_positionrisk_field_and_zero_means_none() -> None:
    w = parse_position_risk(_risk_row())
    assert w.break_even_price == pytest.approx(43_595.501228) and w.entry_price == pytest.approx(43_578.07)
    assert parse_position_risk(_risk_row(breakEvenPrice="0.0")).break_even_price is None
    assert parse_position_risk({k: v for k, v in _risk_row().items() if k != "breakEvenPrice"}).break_even_price is None


def test_binance_stream_break_even_is_its_bep_field() -> None:
    event = {"e": "ACCOUNT_UPDATE", "E": 1_714_540_000_000, "a": {"B": [], "P": [
        {"s": "ETHUSDT", "pa": "4.000", "ep": "3000.0", "bep": "3001.5", "cr": "0", "up": "0", "mt": "cross",
         "iw": "0", "ps": "BOTH"}]}}
    (w,) = parse_account_update(event, datetime(2026, 5, 1, tzinfo=UTC)).positions
    assert w.break_even_price == pytest.approx(3_001.5)


def test_the_break_even_taken_is_the_exchanges_never_the_entry() -> None:
    pos = Position("BTC/USDT:USDT", Side.LONG, 0.001, 43_578.07, MarginMode.ISOLATED, BTC_2024, leverage=2,
                   isolated_margin=21.82418506, mark_price=43_532.3, exchange_break_even_price=43_595.501228)
    (pr,) = evaluate_account(BinanceRisk(), 0.0, [pos]).positions
    assert (pr.break_even_price, pr.break_even_source) == (43_595.501228, "exchange")
    # Binance computes it from the position's fills, which we do not see: without its figure, none (not entry).
    (pr,) = evaluate_account(BinanceRisk(taker_fee_rate=0.0005), 0.0,
                             [Position(pos.symbol, pos.side, pos.size, pos.entry_price, pos.margin_mode, pos.tiers,
                                       leverage=2, isolated_margin=21.82418506)]).positions
    assert (pr.break_even_price, pr.break_even_source) == (None, "")


def test_hyperliquid_break_even_pays_the_fees_to_open_and_close() -> None:
    long = Position("BTC/USDC:USDC", Side.LONG, 1.0, 65_000.0, MarginMode.CROSS, TierTable.flat(0.0125), leverage=5)
    # Entry 65,000 at 0.05 % each way: 65,000 x 1.0005 / 0.9995 = 65,065.03.
    assert fee_break_even(long, 0.0005) == pytest.approx(65_065.0325, abs=1e-4)
    short = Position(long.symbol, Side.SHORT, 1.0, 65_000.0, MarginMode.CROSS, long.tiers, leverage=5)
    assert fee_break_even(short, 0.0005) == pytest.approx(65_000 * 0.9995 / 1.0005)
    for pos, be in ((long, 65_065.0325), (short, 65_000 * 0.9995 / 1.0005)):
        # At the break-even price the PnL pays both fees exactly.
        assert pos.side.sign * (be - pos.entry_price) == pytest.approx(0.0005 * (pos.entry_price + be))
        (pr,) = evaluate_account(HyperliquidRisk(taker_fee_rate=0.0005), 100_000.0, [pos]).positions
        assert pr.break_even_price == pytest.approx(be, abs=1e-4) and pr.break_even_source == "fees"
    # No fee rate configured: Hyperliquid reports none and we guess none.
    (pr,) = evaluate_account(HyperliquidRisk(), 100_000.0, [long]).positions
    assert pr.break_even_price is None


def test_distance_to_liquidation_in_the_quote_currency() -> None:
    # cases.json binance_iso_long_btcusdt_bracket2_2024: 2 BTC long @ 65,000, 20x, isolatedWallet 6,500:
    # LP 62,035.175879396986; at a mark of 65,000 the price is 2,964.82 USDT above it.
    pos = Position("BTC/USDT:USDT", Side.LONG, 2.0, 65_000.0, MarginMode.ISOLATED, BTC_2024, leverage=20,
                   isolated_margin=6_500.0, mark_price=65_000.0)
    (pr,) = evaluate_account(BinanceRisk(), 0.0, [pos]).positions
    assert pr.liquidation_price == pytest.approx(62_035.175879396986, abs=1e-6)
    assert pr.liquidation_distance == pytest.approx(65_000.0 - 62_035.175879396986, abs=1e-6)
    assert pr.liquidation_distance == pytest.approx(pr.distance_to_liquidation_pct / 100 * 65_000.0)
    # A short measures upward, still positive while safe (the freqtrade short case: LP 11.891089108910891).
    short = Position("ETH/USDT:USDT", Side.SHORT, 1.0, 10.0, MarginMode.ISOLATED,
                     TierTable.build([(0, INF, 0.01, 0.01)]), leverage=5, isolated_margin=2.0, mark_price=10.0)
    (ps,) = evaluate_account(BinanceRisk(), 0.0, [short]).positions
    assert ps.liquidation_distance == pytest.approx(11.891089108910891 - 10.0, abs=1e-9)


def _faq_account(leverage: float) -> tuple[BinanceRisk, list[Position]]:
    """cases.json binance_cross_margin_ratio_docexample: the FAQ's cross account (WB 1,535,443.01)."""
    btc = Position("BTC/USDT:USDT", Side.LONG, 109.488, 32_481.98, MarginMode.CROSS,
                   TierTable.build([(0, INF, 0.025, 16_300.0)]), leverage=leverage, mark_price=31_967.27)
    eth = Position("ETH/USDT:USDT", Side.LONG, 3_683.979, 1_456.84, MarginMode.CROSS,
                   TierTable.build([(0, INF, 0.10, 135_365.0)]), leverage=leverage, mark_price=1_335.18)
    return BinanceRisk(), [btc, eth]


def test_free_margin_is_cross_equity_less_initial_margin_and_effective_leverage_notional_over_equity() -> None:
    rules, positions = _faq_account(leverage=20)
    acc = evaluate_account(rules, 1_535_443.01, positions)
    # The case's equity: 1,535,443.01 - 504,547.45362 = 1,030,895.5564; notional at the marks.
    assert acc.margin_balance == pytest.approx(1_030_895.5564, abs=1e-3)
    notional = 109.488 * 31_967.27 + 3_683.979 * 1_335.18
    assert acc.notional == pytest.approx(notional)
    # Binance availableBalance (no open orders): cross margin balance less the positions' initial margin.
    assert acc.available_balance == pytest.approx(1_030_895.5564 - notional / 20, abs=1e-3)
    assert acc.effective_leverage == pytest.approx(notional / 1_030_895.5564, rel=1e-9)
    assert acc.effective_leverage == pytest.approx(8.1665, abs=1e-4)  # 8,418,807.54 / 1,030,895.56
    # At the snapshot's marks ours is the same figure (what is compared with the exchange's).
    assert snapshot_free_margin(rules, 1_535_443.01, positions) == pytest.approx(acc.available_balance)
    # At 5x the initial margin exceeds the equity: floored at 0, as Binance's max(0, ...).
    assert evaluate_account(*_faq_account(leverage=5)[:1], 1_535_443.01, _faq_account(5)[1]).available_balance == 0
    assert free_margin(100.0, [10.0, None]) is None  # a cross position without leverage: unknown, not a guess


def test_binance_account_free_margin_fields() -> None:
    assert parse_account_free({"availableBalance": "103.12345678", "maxWithdrawAmount": "99.5"}) == (
        pytest.approx(103.12345678), pytest.approx(99.5))
    assert parse_account_free({"assets": []}) == (None, None)


def test_minute_closes_are_the_seeded_candles_then_live_marks() -> None:
    vol = MinuteVolatility()
    t0 = 1_777_000_000 // 60 * 60
    candles = [(t0 + 60 * i, 100.0 + i) for i in range(120)]  # two hours of 1-minute candles, the last running
    vol.seed(candles, [])
    series = vol.closes.series()
    assert len(series) == 120 and series[0] == (float(t0), 100.0)
    assert series[-1][0] - series[0][0] == 119 * 60  # far longer than the 10 minutes of per-second samples
    vol.update(t0 + 119 * 60 + 30, 250.0)  # the running minute takes the live mark
    vol.update(t0 + 120 * 60 + 5, 251.0)  # a new minute
    vol.update(t0 + 60, 1.0)  # out of order: ignored
    series = vol.closes.series()
    assert series[-2:] == ((float(t0 + 119 * 60), 250.0), (float(t0 + 120 * 60), 251.0)) and len(series) == 121
    assert series is vol.closes.series()  # read as one tuple until the next change
