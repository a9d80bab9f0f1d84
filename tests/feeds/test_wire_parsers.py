"""Wire readers: exchange spellings in, domain values out; type drift tolerated, bad fields named."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liqwatch.feeds.binance_wire import parse_account_update, parse_brackets, parse_funding_info, parse_position_risk
from liqwatch.feeds.hyperliquid_wire import parse_clearinghouse, parse_fundings, parse_meta
from liqwatch.feeds.wire import WireError
from liqwatch.model import MarginMode, Side

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def test_account_update_reads_abbreviated_fields_and_string_event_time() -> None:
    upd = parse_account_update({"e": "ACCOUNT_UPDATE", "E": "1767225600000", "a": {
        "B": [{"a": "USDT", "wb": "100", "cw": "90.5"}, {"a": "BNB", "wb": "1", "cw": "1"}],
        "P": [{"s": "ETHUSDT", "pa": "-2.5", "ep": "3000", "mt": "isolated", "iw": "150", "ps": "BOTH"},
              {"s": "BTCUSDT", "pa": "0", "ep": "0", "mt": "cross", "iw": "0", "ps": "BOTH"}]}}, NOW)
    assert upd.cross_wallet == 90.5 and upd.stamp.exchange_time == NOW
    eth, btc = upd.positions
    assert (eth.symbol, eth.side, eth.size, eth.margin_mode, eth.isolated_wallet) == (
        "ETH/USDT:USDT", Side.SHORT, 2.5, MarginMode.ISOLATED, 150.0)
    assert btc.side is None  # closed


def test_position_risk_reads_binance_zero_liquidation_as_none() -> None:
    p = parse_position_risk({"symbol": "BTCUSDT", "positionAmt": "0.001", "entryPrice": "43578.07",
                             "markPrice": "43532.3", "liquidationPrice": "0", "leverage": "2",
                             "marginType": "isolated", "isolatedWallet": "21.82418506", "positionSide": "BOTH"})
    assert p.liquidation_price is None and p.leverage == 2 and p.isolated_wallet == pytest.approx(21.82418506)


@pytest.mark.parametrize("bad", [{"pa": "NaN"}, {"pa": "x"}, {"s": None}])
def test_bad_fields_are_named(bad: dict[str, object]) -> None:
    pos = {"s": "ETHUSDT", "pa": "1", "ep": "3000", "mt": "cross", "ps": "BOTH", **bad}
    with pytest.raises(WireError, match=repr(next(iter(bad)))):
        parse_account_update({"E": 1, "a": {"P": [pos]}}, NOW)


def test_brackets_keep_binances_cum() -> None:
    tables = parse_brackets([{"symbol": "BTCUSDT", "brackets": [
        {"bracket": 1, "initialLeverage": 125, "notionalCap": 50000, "notionalFloor": 0, "maintMarginRatio": 0.004,
         "cum": 0.0},
        {"bracket": 2, "initialLeverage": 100, "notionalCap": 600000, "notionalFloor": 50000,
         "maintMarginRatio": 0.005, "cum": 50.0}]}])
    assert tables["BTC/USDT:USDT"].tier_for(100_000).maint_amount == 50.0


def test_hyperliquid_margin_tables_and_isolated_margin() -> None:
    tiers = parse_meta({"universe": [{"name": "BTC", "maxLeverage": 40, "marginTableId": 56},
                                     {"name": "ETH", "maxLeverage": 25, "marginTableId": 25}],
                        "marginTables": [[56, {"marginTiers": [{"lowerBound": "0.0", "maxLeverage": 40},
                                                               {"lowerBound": "150000000.0", "maxLeverage": 20}]}]]})
    btc = tiers["BTC/USDC:USDC"]
    assert btc.tier_for(1e9).mmr == pytest.approx(1 / 40) and btc.tier_for(1e6).mmr == pytest.approx(1 / 80)
    assert tiers["ETH/USDC:USDC"].tier_for(1).mmr == pytest.approx(1 / 50)  # no table: from maxLeverage
    state = parse_clearinghouse({"crossMarginSummary": {"accountValue": "1000"}, "time": 1767225600000,
                                 "assetPositions": [{"type": "oneWay", "position": {
                                     "coin": "ETH", "szi": "0.2259", "entryPx": "2213.9", "positionValue": "500.12001",
                                     "unrealizedPnl": "0.0", "liquidationPx": "2125.00856238", "marginUsed": "24.88097",
                                     "leverage": {"type": "isolated", "value": 20, "rawUsd": "-475.23904"}}}]}, tiers)
    pos = state.positions[0]
    assert pos.margin_mode is MarginMode.ISOLATED and pos.isolated_margin == pytest.approx(24.88097)
    assert state.wallet_balance == 1000.0  # no cross PnL to take out


def test_hyperliquid_funding_rest_and_stream_shapes_share_ids() -> None:
    rest = parse_fundings([{"time": 1767225600000, "hash": "0xabc",
                            "delta": {"type": "funding", "coin": "SOL", "usdc": "75.635093", "szi": "-7375.9",
                                      "fundingRate": "0.00004381"}}])
    stream = parse_fundings([{"time": 1767225600000, "coin": "SOL", "usdc": "75.635093", "szi": "-7375.9",
                              "fundingRate": "0.00004381"}])
    assert rest[0].payment_id == stream[0].payment_id and rest[0].amount == pytest.approx(75.635093)


def test_binance_marks_skip_contracts_we_do_not_hold_even_unmappable_ones() -> None:
    from liqwatch.clock import FakeClock
    from liqwatch.feeds.account_config import FeedAccount, Secret
    from liqwatch.feeds.binance import BinanceAdapter
    from liqwatch.model import AccountSpec, Exchange
    from liqwatch.risk.registry import risk_rules
    from liqwatch.store import MonitorStore

    clock = FakeClock(NOW)
    store = MonitorStore(clock)
    store.add_account(AccountSpec("a", Exchange.BINANCE), risk_rules(Exchange.BINANCE))
    adapter = BinanceAdapter(FeedAccount("a", Exchange.BINANCE, "http://127.0.0.1:1", "ws://127.0.0.1:1",
                                         api_key=Secret("k" * 16), api_secret=Secret("s" * 16)),
                             store, None, clock)  # type: ignore[arg-type]
    marks = [{"symbol": "BTCUSDT_250627", "markPrice": "1"},  # quarterly: not a perpetual we map
             {"symbol": "ETHUSDT", "markPrice": "3000", "time": 1767225600000},
             {"symbol": "BTCUSDT", "markPrice": "60000.5", "time": 1767225600000}]
    adapter._apply_marks(marks, {"BTC/USDT:USDT"})
    assert store._markets[(Exchange.BINANCE, "BTC/USDT:USDT")].state.mark_price == 60000.5
    assert (Exchange.BINANCE, "ETH/USDT:USDT") not in store._markets


def test_funding_info_skips_an_unreadable_or_implausible_interval_and_keeps_the_rest() -> None:
    intervals, bad = parse_funding_info([
        {"symbol": "SOLUSDT", "fundingIntervalHours": 4}, {"symbol": "ETHUSDT", "fundingIntervalHours": 0.0001},
        {"symbol": "BTCUSDT", "fundingIntervalHours": 1e9}, {"symbol": "XRPUSDT", "fundingIntervalHours": "x"},
        {"symbol": "DOGEUSDT", "fundingIntervalHours": 1}])
    assert intervals == {"SOL/USDT:USDT": 4.0, "DOGE/USDT:USDT": 1.0}
    assert [item["symbol"] for item, _ in bad] == ["ETHUSDT", "BTCUSDT", "XRPUSDT"]
    assert "outside 1-24 h" in bad[0][1] and "not a number" in bad[2][1]
