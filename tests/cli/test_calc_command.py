"""``liqwatch calc`` end to end: the reference cases through --json, the table, and bad input."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.risk.reference_cases import BINANCE_FAQ_RATIO, LIQ_CASES, LiqCase
from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]


def run_calc(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], scenario: Any, *extra: str
) -> tuple[int, str, str]:
    text = scenario if isinstance(scenario, str) else json.dumps(scenario)
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    code = main(["calc", *extra, "-"])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("case", LIQ_CASES, ids=lambda c: c.id)
def test_reference_cases_through_calc_json(
    case: LiqCase, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_calc(monkeypatch, capsys, case.scenario, "--json")
    assert code == 0, err
    doc = json.loads(out)  # stdout holds only the JSON
    got = doc["positions"][case.position][case.field]
    if case.expected is None:
        assert got is None
    else:
        assert got == pytest.approx(case.expected, abs=case.tolerance)


def test_calc_json_shape(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_calc(monkeypatch, capsys, BINANCE_FAQ_RATIO["scenario"], "--json")
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {"exchange", "account", "positions"}
    assert {"wallet_balance", "margin_balance", "maintenance_margin", "margin_ratio", "risk"} <= set(doc["account"])
    assert doc["account"]["margin_ratio"] == pytest.approx(0.414894910468, abs=1e-9)
    assert [p["symbol"] for p in doc["positions"]] == ["ETH/USDT:USDT", "BTC/USDT:USDT"]  # input order
    for p in doc["positions"]:
        assert {"symbol", "side", "notional", "unrealized_pnl", "initial_margin", "maintenance_margin",
                "liquidation_price", "bankruptcy_price", "distance_to_liquidation_pct", "margin_ratio",
                "risk"} <= set(p)
        # A cross position repeats the account's ratio and risk.
        assert p["margin_ratio"] == doc["account"]["margin_ratio"]
        assert p["initial_margin"] is None  # no leverage given


def test_calc_table_for_example_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["calc", str(ROOT / "examples" / "binance_isolated.toml")]) == 0
    out = capsys.readouterr().out
    assert "BTC/USDT:USDT" in out and "62,035.1759" in out


def test_every_example_file_computes(capsys: pytest.CaptureFixture[str]) -> None:
    files = sorted((ROOT / "examples").glob("*.toml")) + sorted((ROOT / "examples").glob("*.json"))
    scenario_files = [f for f in files if not f.name.startswith("config")]
    assert scenario_files
    for f in scenario_files:
        assert main(["calc", "--json", str(f)]) == 0, f
        json.loads(capsys.readouterr().out)


def test_liquidated_account_has_null_risk(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    sc = {"exchange": "binance", "wallet_balance": 100.0, "positions": [
        {"symbol": "BTCUSDT", "side": "long", "size": 1, "entry_price": 50000, "mark_price": 49800, "mmr": 0.004}]}
    code, out, _ = run_calc(monkeypatch, capsys, sc, "--json")
    doc = json.loads(out)
    assert code == 0
    assert doc["account"]["margin_balance"] == pytest.approx(-100.0)
    assert doc["account"]["risk"] is None and doc["account"]["liquidated"] is True
    iso = {"exchange": "binance", "positions": [
        {"symbol": "BTCUSDT", "side": "short", "size": 1, "entry_price": 50000, "mark_price": 52600,
         "mmr": 0.004, "margin_mode": "isolated", "isolated_margin": 2500}]}
    code, out, _ = run_calc(monkeypatch, capsys, iso, "--json")
    p = json.loads(out)["positions"][0]
    assert p["risk"] is None and p["liquidated"] is True


def test_calc_json_equity_wallet_cross_figures_roe_and_pair(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # binance-hedge's start: 8,000 cross wallet, BTC long 0.3 @ 61,000 and short 0.1 @ 59,000 (20x, cross),
    # SOL long 40 @ 155 isolated with a 700 wallet (10x); marks 60,000 and 150.
    btc = {"symbol": "BTCUSDT", "mark_price": 60_000, "mmr": 0.004, "leverage": 20}
    sc = {"exchange": "binance", "wallet_balance": 8_000.0, "position_mode": "hedge", "positions": [
        {**btc, "side": "long", "size": 0.3, "entry_price": 61_000},
        {**btc, "side": "short", "size": 0.1, "entry_price": 59_000},
        {"symbol": "SOLUSDT", "side": "long", "size": 40, "entry_price": 155, "mark_price": 150, "mmr": 0.01,
         "leverage": 10, "margin_mode": "isolated", "isolated_margin": 700}]}
    code, out, err = run_calc(monkeypatch, capsys, sc, "--json")
    assert code == 0, err
    doc = json.loads(out)
    acc = doc["account"]
    cross_pnl = 0.3 * (60_000 - 61_000) - 0.1 * (60_000 - 59_000)  # -400
    sol_pnl = 40 * (150 - 155)  # -200
    # Binance's totalWalletBalance and totalMarginBalance count the isolated wallet and every PnL ...
    assert acc["wallet_balance"] == pytest.approx(8_700.0)
    assert acc["margin_balance"] == pytest.approx(8_700.0 + cross_pnl + sol_pnl)
    # ... while cross risk is measured on the cross wallet and the cross PnL.
    assert acc["cross_wallet_balance"] == pytest.approx(8_000.0)
    assert acc["cross_margin_balance"] == pytest.approx(8_000.0 + cross_pnl)
    legs = {(p["symbol"], p["side"]): p for p in doc["positions"]}
    assert legs[("BTC/USDT:USDT", "long")]["liquidation_scope"] == "pair"
    assert legs[("BTC/USDT:USDT", "short")]["liquidation_scope"] == "pair"
    assert legs[("SOL/USDT:USDT", "long")]["liquidation_scope"] == "position"
    # ROE: uPnL over the initial margin at entry (entry notional / leverage).
    assert legs[("BTC/USDT:USDT", "short")]["roe"] == pytest.approx(-100.0 / (0.1 * 59_000 / 20))
    assert legs[("SOL/USDT:USDT", "long")]["roe"] == pytest.approx(sol_pnl / (40 * 155 / 10))


BAD = [
    ({"exchange": "binance", "positions": [{"side": "long", "size": 1, "entry_price": 1, "mmr": 0.01}]},
     "positions[0].symbol: required field is missing"),
    ({"exchange": "binance", "positions": [{"symbol": "BTCUSDT", "side": "long", "size": -2, "entry_price": 1,
                                            "mmr": 0.01}]}, "positions[0].size"),
    ({"exchange": "binanceusdm", "positions": [{"symbol": "BTCUSDT", "side": "long", "size": 1,
                                                "entry_price": 1, "mmr": 0.01}]}, "exchange"),
    ({"exchange": "binance", "positions": [{"symbol": "BTCUSDT", "side": "long", "size": 1, "entry_price": 1,
                                            "tiers": [{"floor": 0, "cap": 100, "mmr": 0.01},
                                                      {"floor": 200, "cap": 300, "mmr": 0.02}]}]},
     "positions[0].tiers[1]: gap"),
    ({"exchange": "binance", "positions": [{"symbol": "BTCUSDT", "side": "long", "size": 1, "entry_price": 1}]},
     "positions[0]: one of mmr or tiers is required"),
    ({"exchange": "okx", "positions": [{"symbol": "BTC-USDT-SWAP", "side": "long", "size": 1, "entry_price": 1,
                                        "mmr": 0.01}]}, "positions[0].taker_fee_rate"),
    ({"exchange": "binance", "positions": [{"symbol": "BTCUSDT", "side": "long", "size": 1, "entry_price": 1,
                                            "mmr": 0.01, "margin_mode": "isolated"}]},
     "positions[0].isolated_margin"),
    ({"exchange": "binance", "positions": [{"symbol": "BTCUSDT", "side": "long", "size": 1, "entry_price": 1,
                                            "mmr": 0.01, "colour": "red"}]}, "positions[0].colour: unknown field"),
    ("exchange = 'binance'\n[[positions]\n", "not valid TOML"),
]


@pytest.mark.parametrize(("scenario", "message"), BAD, ids=[m for _, m in BAD])
def test_bad_input_exits_2_naming_the_field(
    scenario: Any, message: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_calc(monkeypatch, capsys, scenario, "--json")
    assert code == 2
    assert out == ""
    assert message in err
    assert "Traceback" not in err


def test_missing_file_is_a_clear_error(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["calc", str(tmp_path / "nope.toml")]) == 2
    assert "cannot read scenario" in capsys.readouterr().err


def test_headless_calc_does_not_import_textual(tmp_path: Path) -> None:
    # Headless commands must start fast: the App and Textual are imported only when the App is launched.
    example = str(ROOT / "examples" / "binance_isolated.toml")
    code = (
        f"import sys; from tui.cli import main; rc = main(['calc', '--json', {example!r}]);"
        "assert 'textual' not in sys.modules, 'textual imported'; sys.exit(rc)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
