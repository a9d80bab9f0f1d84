"""Scenario files (schema and errors), the built-in demo, the ``liqwatch emulator`` command, import hygiene."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from liqwatch.emulator import ScenarioError, demo_scenario, load_scenario, scenario_from_toml
from tests.tui_command import tui_argv

from .helpers import LIMIT_S, SMALL_TOML

ROOT = Path(__file__).resolve().parents[2]


def test_demo_has_both_exchanges_and_a_drifting_account() -> None:
    demo = demo_scenario()
    assert len(demo.binance.accounts) >= 1 and len(demo.hyperliquid.accounts) >= 1
    assert {a.position_mode for a in demo.binance.accounts} == {"one-way", "hedge"}
    margins = {p.margin for a in demo.binance.accounts for p in a.positions}
    assert margins == {"cross", "isolated"}
    assert demo.path("ETH").waypoints  # the drift that endangers binance-degen


def test_scenario_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.toml"
    path.write_text(SMALL_TOML, encoding="utf-8")
    scenario = load_scenario(path)
    assert [a.name for a in scenario.binance.accounts] == ["alice", "bob"]
    assert scenario.binance.markets[0].tier_table().tiers[1].maint_amount == 50.0  # cum by Binance's recurrence
    assert scenario.hyperliquid.markets[1].tier_table().tiers[0].mmr == pytest.approx(1 / 50)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (("wallet = 10000.0", "wallet = -1.0"), "binance.accounts[0].wallet"),
        (('side = "long"\nsize = 0.5', 'side = "up"\nsize = 0.5'), "side"),
        (('symbol = "BTCUSDT"\npath = "BTC"', 'symbol = "BTCUSDT"\npath = "DOGE"'), "no path named 'DOGE'"),
        (("isolated_wallet = 1500.0\n", ""), "needs isolated_wallet"),
        (("balance = 8000.0", "balance = 8000.0\ncolour = 1"), "colour"),
        (('address = "0x', 'address = "1x'), "address must be 0x"),
        (('name = "bob"', 'name = "alice"'), "duplicate name 'alice'"),
        (("leverage = 20\n\n[[binance.accounts]]", "leverage = 200\n\n[[binance.accounts]]"), "leverage"),
    ],
)
def test_scenario_errors_name_the_field(patch: tuple[str, str], message: str) -> None:
    old, new = patch
    assert old in SMALL_TOML
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml(SMALL_TOML.replace(old, new, 1), source="s.toml")
    assert message in str(info.value) and str(info.value).startswith("s.toml: ")


def test_a_bad_api_key_is_rejected_without_echoing_it() -> None:
    bad = SMALL_TOML.replace('api_key = "' + "A" * 60, 'api_key = "' + "A" * 59 + "-", 1)
    with pytest.raises(ScenarioError) as info:
        scenario_from_toml(bad)
    assert "api_key" in str(info.value) and "A" * 30 not in str(info.value)
    with pytest.raises(ScenarioError, match="not valid TOML"):
        scenario_from_toml("[[paths]")


def test_command_rejects_bad_input_with_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui.cli import main

    assert main(["emulator", "--scenario", str(tmp_path / "missing.toml")]) == 2
    assert "cannot read the scenario" in capsys.readouterr().err
    bad = tmp_path / "bad.toml"
    bad.write_text(SMALL_TOML.replace('path = "ETH"', 'path = "XRP"', 1), encoding="utf-8")
    assert main(["emulator", "--scenario", str(bad)]) == 2
    assert "no path named 'XRP'" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        main(["emulator", "--speed", "0"])
    assert exit_info.value.code == 2


async def test_command_serves_and_prints_port_and_accounts() -> None:
    async with asyncio.timeout(LIMIT_S):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        proc = await asyncio.create_subprocess_exec(
            *tui_argv(), "emulator", "--port", "0", "--duration", "8", "--speed", "5",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            assert proc.stdout is not None
            lines: list[str] = []
            while not any(line.startswith("Ctrl-C") for line in lines):
                lines.append((await asyncio.wait_for(proc.stdout.readline(), 10)).decode())
            text = "".join(lines)
            port = int(next(line.split()[1] for line in lines if line.strip().startswith("port")))
            assert f"rest_url   http://127.0.0.1:{port}" in text
            for account in demo_scenario().binance.accounts:
                assert account.api_key in text and account.secret in text
            for hl in demo_scenario().hyperliquid.accounts:
                assert hl.address in text
            async with aiohttp.ClientSession() as http, http.get(f"http://127.0.0.1:{port}/fapi/v1/time") as r:
                assert r.status == 200
        finally:
            proc.terminate()
            await asyncio.wait_for(proc.wait(), 10)


def test_emulator_imports_no_ui_stack_and_command_imports_only_stdlib() -> None:
    code = (
        "import sys\n"
        "import liqwatch.commands.emulator\n"
        "heavy = [m for m in ('aiohttp', 'ccxt', 'pydantic', 'orjson', 'liqwatch.emulator') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
        "import liqwatch.emulator, liqwatch.emulator.server\n"
        "bad = [n for n in sys.modules if n.split('.')[0] in ('textual', 'rich', 'widgets', 'tui', 'ccxt')]\n"
        "assert not bad, bad\n"
        "assert 'liqwatch.risk' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
