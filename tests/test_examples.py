"""Every file in examples/ runs, so none can rot: each ``calc`` scenario through ``liqwatch calc --json`` (in
process) against the exchange's own figure, each configuration through ``liqwatch config check``; and the
commented examples of config.example.toml name only actions and emulated exchanges that exist."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

from liqwatch.config import load_settings
from tui.bindings import action_ids
from tui.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"

# The figure each scenario is checked against: the exchange's (or its documented formula's) value, copied from
# the published worked examples (Binance's liquidation-price FAQ, Bybit's help-center examples, OKX's isolated
# ratio solved for 1, a real Hyperliquid clearinghouseState).
# (file, where: "account" or the position's symbol, field, expected, relative tolerance)
CASES: list[tuple[str, str, str, float, float]] = [
    ("binance_isolated.toml", "BTC/USDT:USDT", "liquidation_price", 62035.175879396986, 1e-9),
    ("binance_cross.toml", "ETH/USDT:USDT", "liquidation_price", 1153.26, 0.01 / 1153.26),
    ("binance_cross.toml", "account", "margin_ratio", 0.414894910468, 1e-9),
    ("bybit_isolated.toml", "BTC/USDT:USDT", "liquidation_price", 19700.0, 1e-12),
    ("bybit_isolated.toml", "BTC/USDT:USDT", "bankruptcy_price", 19600.0, 1e-12),
    ("bybit_cross.toml", "BTC/USDT:USDT", "liquidation_price", 8950.0, 1e-12),
    ("okx_isolated.toml", "ETH/USDT:USDT", "liquidation_price", 6.738090425173506, 1e-9),
    ("okx_cross.toml", "ETH/USDT:USDT", "liquidation_price", (10 - 5) / (1 - 0.01 - 0.0006), 1e-9),
    ("hyperliquid_isolated.toml", "ETH/USDC:USDC", "liquidation_price", 2125.00856238, 1e-5),
    ("hyperliquid_cross.toml", "account", "margin_ratio", 0.007164079065, 1e-9),
]
SCENARIOS = sorted(p.name for p in EXAMPLES.glob("*.toml"))
CONFIGS = sorted(p.name for p in (EXAMPLES / "config").glob("*.toml"))


def _calc(name: str, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    assert main(["calc", "--json", str(EXAMPLES / name)]) == 0
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


def test_every_exchange_has_a_cross_and_an_isolated_scenario_and_a_configuration() -> None:
    for exchange in ("binance", "bybit", "okx", "hyperliquid"):
        for mode in ("cross", "isolated"):
            scenario = tomllib.loads((EXAMPLES / f"{exchange}_{mode}.toml").read_text(encoding="utf-8"))
            assert scenario["exchange"] == exchange
            assert {p.get("margin_mode", "cross") for p in scenario["positions"]} == {mode}
        assert f"{exchange}.toml" in CONFIGS
    assert set(SCENARIOS) == {name for name, *_ in CASES}, "a scenario without a figure to check it against"


@pytest.mark.parametrize(("name", "where", "field", "expected", "rel"), CASES)
def test_scenario_gives_the_exchanges_figure(name: str, where: str, field: str, expected: float, rel: float,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    doc = _calc(name, capsys)
    found = doc["account"] if where == "account" else next(p for p in doc["positions"] if p["symbol"] == where)
    assert found[field] == pytest.approx(expected, rel=rel)
    assert not doc["account"]["liquidated"]


@pytest.mark.parametrize("name", CONFIGS)
def test_configuration_example_passes_config_check(name: str, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    path = EXAMPLES / "config" / name
    for var in re.findall(r'_env = "([A-Z0-9_]+)"', path.read_text(encoding="utf-8")):
        monkeypatch.setenv(var, "not-a-real-key-but-set")
    assert main(["config", "check", str(path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["valid"] is True
    [account] = doc["accounts"]
    assert account["exchange"] == name.removesuffix(".toml")
    assert account["credentials"] is not None, account  # every credential it names is read from the environment
    assert account["status"] == "enabled", account  # every exchange of the examples has a live feed


def _commented_block(text: str, start: str) -> str:
    """The commented TOML lines of config.example.toml from ``start`` to the next blank line, uncommented."""
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith(start))
    block = []
    for line in lines[first + 1:]:
        if not line.startswith("# ") or line.startswith("# ---"):
            break
        block.append(line[2:])
    return "\n".join(block)


def test_config_example_suggests_only_real_actions_and_emulated_exchanges(tmp_path: Path) -> None:
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    bindings = tomllib.loads(_commented_block(text, "[ui.bindings]"))
    assert bindings and set(bindings) <= set(action_ids()), bindings

    tail = text.split("The emulator example:", 1)[1]
    block = tail[tail.index("# [[accounts]]"):]
    literal = "\n".join(line[2:] for line in block.splitlines() if line.startswith("#"))
    literal = literal.replace('"..."', '"LiqwatchExampleKey000000000000000000000001"')
    accounts = tomllib.loads(literal)["accounts"]
    emulated = {"binance", "hyperliquid"}  # what liqwatch.emulator speaks (README, "The exchange emulator")
    assert accounts and {a["exchange"] for a in accounts} <= emulated
    config = tmp_path / "emulator.toml"
    config.write_text(literal, encoding="utf-8")
    config.chmod(0o600)  # literal secrets: accepted in a private file only
    settings = load_settings(config, environ={})
    assert [a.exchange for a in settings.accounts] == [a["exchange"] for a in accounts]
