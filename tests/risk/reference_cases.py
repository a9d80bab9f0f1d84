"""Worked cases with published or independently computed answers, as calc scenarios.

Inputs and expected values were taken from the exchanges' own examples and real API responses (Binance FAQ
liquidation example, freqtrade's tests of it, Bybit help pages, OKX/gate generic formula, Hyperliquid
clearinghouseState samples). Tolerances are absolute. The COIN-M case is left out: inverse contracts are
outside the product for now. Native symbols are mapped to unified ones by the scenario reader.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LiqCase:
    id: str
    scenario: dict[str, Any]
    position: int  # index of the position whose figure is checked
    field: str  # liquidation_price | bankruptcy_price
    expected: float | None
    tolerance: float


def _pos(**kw: Any) -> dict[str, Any]:
    return kw


BINANCE_FAQ_WB = 1535443.01
ETH_FAQ = {"symbol": "ETHUSDT", "side": "long", "size": 3683.979, "entry_price": 1456.84, "mmr": 0.1,
           "maint_amount": 135365}
BTC_FAQ = {"symbol": "BTCUSDT", "side": "long", "size": 109.488, "entry_price": 32481.98, "mmr": 0.025,
           "maint_amount": 16300}

# Binance BTCUSDT brackets as served by GET /fapi/v1/leverageBracket (2024-10-24): floor, cap, mmr, cum.
BINANCE_BTC_2024 = [
    (0, 50_000, 0.004, 0),
    (50_000, 600_000, 0.005, 50),
    (600_000, 3_000_000, 0.0065, 950),
    (3_000_000, 12_000_000, 0.01, 11_450),
    (12_000_000, 70_000_000, 0.02, 131_450),
    (70_000_000, 100_000_000, 0.025, 481_450),
    (100_000_000, 230_000_000, 0.05, 2_981_450),
    (230_000_000, 480_000_000, 0.10, 14_481_450),
    (480_000_000, 600_000_000, 0.125, 26_481_450),
    (600_000_000, 800_000_000, 0.15, 41_481_450),
    (800_000_000, 1_200_000_000, 0.25, 121_481_450),
    (1_200_000_000, 1_800_000_000, 0.50, 421_481_450),
]


def tiers_toml(rows: list[tuple[float, float, float, float]], with_amounts: bool = True) -> list[dict[str, Any]]:
    out = []
    for f, c, m, a in rows:
        t: dict[str, Any] = {"floor": f, "cap": c, "mmr": m}
        if with_amounts:
            t["maint_amount"] = a
        out.append(t)
    return out


LIQ_CASES: list[LiqCase] = [
    LiqCase(
        "binance_iso_long_ethusdt_docinputs",
        {"exchange": "binance", "positions": [
            {**ETH_FAQ, "margin_mode": "isolated", "isolated_margin": BINANCE_FAQ_WB}]},
        0, "liquidation_price", 1114.78, 0.01,
    ),
    LiqCase(
        "binance_iso_long_btcusdt_docinputs",
        {"exchange": "binance", "positions": [
            {**BTC_FAQ, "margin_mode": "isolated", "isolated_margin": BINANCE_FAQ_WB}]},
        0, "liquidation_price", 18778.73, 0.01,
    ),
    LiqCase(
        # Cross: the other position (BTC) enters through its maintenance margin and PnL at its mark.
        "binance_cross_long_ethusdt_docexample",
        {"exchange": "binance", "wallet_balance": BINANCE_FAQ_WB, "positions": [
            {**ETH_FAQ, "mark_price": 1335.18},
            {**BTC_FAQ, "mark_price": 31967.27}]},
        0, "liquidation_price", 1153.26, 0.01,
    ),
    LiqCase(
        "binance_iso_short_synthetic_freqtrade",
        {"exchange": "binance", "positions": [_pos(
            symbol="ETHUSDT", side="short", size=1.0, entry_price=10, leverage=5, mmr=0.01, maint_amount=0.01,
            margin_mode="isolated", isolated_margin=2.0)]},
        0, "liquidation_price", 11.89108910891089, 1e-9,
    ),
    LiqCase(
        "binance_iso_long_synthetic_freqtrade",
        {"exchange": "binance", "positions": [_pos(
            symbol="ETHUSDT", side="long", size=1.0, entry_price=10, leverage=5, mmr=0.01, maint_amount=0.01,
            margin_mode="isolated", isolated_margin=2.0)]},
        0, "liquidation_price", 8.070707070707071, 1e-9,
    ),
    LiqCase(
        # Given the whole 2024 table, the solver must settle in bracket 2 by itself.
        "binance_iso_long_btcusdt_bracket2_2024",
        {"exchange": "binance", "positions": [_pos(
            symbol="BTCUSDT", side="long", size=2.0, entry_price=65000, leverage=20, margin_mode="isolated",
            isolated_margin=6500.0, tiers=tiers_toml(BINANCE_BTC_2024))]},
        0, "liquidation_price", 62035.175879396986, 1e-6,
    ),
    LiqCase(
        "bybit_usdt_iso_long_doc_ex1",
        {"exchange": "bybit", "positions": [_pos(
            symbol="BTCUSDT", side="long", size=1, entry_price=20000, leverage=50, mmr=0.005,
            margin_mode="isolated", isolated_margin=400.0)]},
        0, "liquidation_price", 19700, 1e-9,
    ),
    LiqCase(
        # Ex. 3: a 200 USDT funding fee taken out of the position margin moves the price up.
        "bybit_usdt_iso_long_doc_ex3_funding_deducted",
        {"exchange": "bybit", "positions": [_pos(
            symbol="BTCUSDT", side="long", size=1, entry_price=20000, leverage=50, mmr=0.005,
            margin_mode="isolated", isolated_margin=200.0)]},
        0, "liquidation_price", 19900, 1e-9,
    ),
    LiqCase(
        "bybit_usdt_iso_long_legacy",
        {"exchange": "bybit", "positions": [_pos(
            symbol="BTCUSDT", side="long", size=1, entry_price=10000, leverage=50, mmr=0.005,
            margin_mode="isolated", isolated_margin=200.0)]},
        0, "liquidation_price", 9850, 1e-9,
    ),
    LiqCase(
        "bybit_usdt_iso_short_legacy",
        {"exchange": "bybit", "positions": [_pos(
            symbol="BTCUSDT", side="short", size=1, entry_price=8000, leverage=40, mmr=0.005,
            margin_mode="isolated", isolated_margin=200.0)]},
        0, "liquidation_price", 8160, 1e-9,
    ),
    LiqCase(
        # No isolated_margin given: opened at 50x with nothing added, so the margin is 10000 / 50.
        "bybit_usdt_bankruptcy_long",
        {"exchange": "bybit", "positions": [_pos(
            symbol="BTCUSDT", side="long", size=1, entry_price=10000, leverage=50, mmr=0.005,
            margin_mode="isolated")]},
        0, "bankruptcy_price", 9800, 1e-9,
    ),
    LiqCase(
        # Classic cross: available 2000 + IM 200 (1% at 100x) is the wallet; MM 100 = 0.5% of 20000.
        "bybit_usdt_cross_single_position_legacy",
        {"exchange": "bybit", "wallet_balance": 2200.0, "positions": [_pos(
            symbol="BTCUSDT", side="long", size=2, entry_price=10000, leverage=100, mmr=0.005)]},
        0, "liquidation_price", 8950.0, 1e-9,
    ),
    LiqCase(
        "okx_usdt_swap_iso_long_synthetic",
        {"exchange": "okx", "positions": [_pos(
            symbol="ETH-USDT-SWAP", side="long", size=1, entry_price=10, leverage=3, mmr=0.01,
            taker_fee_rate=0.0006, margin_mode="isolated", isolated_margin=3.3333333333333335)]},
        0, "liquidation_price", 6.738090425173506, 1e-9,
    ),
    LiqCase(
        "okx_usdt_swap_iso_short_synthetic",
        {"exchange": "okx", "positions": [_pos(
            symbol="ETH-USDT-SWAP", side="short", size=1, entry_price=10, leverage=3, mmr=0.01,
            taker_fee_rate=0.0006, margin_mode="isolated", isolated_margin=3.3333333333333335)]},
        0, "liquidation_price", 13.193482419684678, 1e-9,
    ),
    LiqCase(
        # Real clearinghouseState: rawUsd -475.23904 + szi 0.2259 x entry 2213.9 = 24.88097 isolated margin.
        "hl_iso_long_eth_real",
        {"exchange": "hyperliquid", "positions": [_pos(
            symbol="ETH", side="long", size=0.2259, entry_price=2213.9, leverage=20, max_leverage=50,
            margin_mode="isolated", isolated_margin=24.88097)]},
        0, "liquidation_price", 2125.00856238, 1e-5,
    ),
    LiqCase(
        # Real cross account (SOL + ETH longs): the API's liquidationPx is null because the price would be < 0.
        "hl_cross_account_liq_null_real",
        {"exchange": "hyperliquid", "wallet_balance": 19762.483455, "positions": [
            _pos(symbol="SOL", side="long", size=3.34, entry_price=180.0, max_leverage=50),
            _pos(symbol="ETH", side="long", size=3.6, entry_price=(14157.9994 - 3.34 * 180.0) / 3.6,
                 max_leverage=50)]},
        0, "liquidation_price", None, 0.0,
    ),
]

# Hyperliquid: crossMaintenanceMarginUsed / accountValue of the same real account.
HL_CROSS_RATIO = {"scenario": LIQ_CASES[-1].scenario, "expected": 0.007164079065, "tolerance": 1e-10}

BINANCE_FAQ_RATIO = {
    "scenario": LIQ_CASES[2].scenario,
    "expected": 0.414894910468,
    "tolerance": 1e-9,
}
