"""``liqwatch config check [PATH]`` end to end through ``tui.cli.main``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tui.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "config.example.toml"
CANARY = "cAnArYcHeCk6b1f"

SECRETS_FILE = f"""
[[accounts]]
name = "emu"
exchange = "okx"
api_key = "{CANARY}k"
api_secret = "{CANARY}s"
passphrase = "{CANARY}p"
rest_url = "http://127.0.0.1:8765"

[[accounts]]
name = "env"
exchange = "bybit"
api_key_env = "CHECK_KEY"
api_secret_env = "CHECK_SECRET"

[[accounts]]
name = "gone"
exchange = "binance"
api_key_env = "CHECK_MISSING_KEY"
api_secret_env = "CHECK_SECRET"
"""


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.upper().startswith("LIQWATCH_") or name.startswith("CHECK_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))


def check(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["config", "check", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def write(tmp_path: Path, text: str, mode: int = 0o644) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(mode)
    return path


def test_example_file_is_valid(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = check(capsys, str(EXAMPLE))
    assert (code, err) == (0, "")
    assert out.startswith("# liqwatch configuration: valid\n")
    assert f"# file: {EXAMPLE}\n" in out
    assert "[ui]\nrefresh_hz = 4.0\n" in out
    assert "#   hl-vault (hyperliquid): enabled, credentials from wallet address (read-only)" in out
    assert "#   binance-main (binance): DISABLED: environment variables BINANCE_API_KEY" in out


def test_secrets_never_appear_in_the_output(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("CHECK_KEY", CANARY + "envkey")
    monkeypatch.setenv("CHECK_SECRET", CANARY + "envsecret")
    path = write(tmp_path, SECRETS_FILE, mode=0o600)
    for extra in ((), ("--json",)):
        code, out, err = check(capsys, str(path), *extra)
        assert code == 0, err
        assert CANARY not in out + err
        assert "**********" in out
    doc = json.loads(out)
    status = {a["name"]: a for a in doc["accounts"]}
    assert status["emu"]["credentials"] == "the config file"
    assert status["env"]["credentials"] is not None  # its keys resolve, and Bybit has a live feed: watched
    assert status["env"]["status"] == "enabled"
    assert status["gone"] == status["gone"] | {"status": "disabled", "credentials": None}
    assert status["gone"]["reason"] == "environment variable CHECK_MISSING_KEY is not set"
    assert doc["settings"]["accounts"][0]["api_key"] == "**********"


def test_json_output_shape(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIQWATCH_UI__REFRESH_HZ", "8")
    monkeypatch.setenv("LIQWATCH_ACCOUNTS", "[]")
    code, out, _ = check(capsys, "--json", "--config", str(EXAMPLE))
    assert code == 0
    doc = json.loads(out)
    assert set(doc) == {
        "valid",
        "config_file",
        "config_file_found",
        "env_overrides",
        "env_ignored",
        "settings",
        "accounts",
    }
    assert doc["settings"]["ui"]["refresh_hz"] == 8
    assert (doc["env_overrides"], doc["env_ignored"]) == (["LIQWATCH_UI__REFRESH_HZ"], ["LIQWATCH_ACCOUNTS"])
    hedge = next(a for a in doc["accounts"] if a["name"] == "bybit-hedge")
    assert hedge["alerts"]["warning"] == 0.4


def test_invalid_file_exits_2_naming_the_field_without_the_value(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, f'[ui]\ntheme = "{CANARY}"\n[feeds]\nconnect_timeout_s = -1\n')
    code, out, err = check(capsys, str(path))
    assert (code, out) == (2, "")
    assert err.startswith(f"liqwatch config: invalid configuration in {path}:\n")
    assert "  ui.theme: Input should be" in err
    assert "  feeds.connect_timeout_s: Input should be greater than 0" in err
    assert CANARY not in err
    assert "Traceback" not in err


def test_invalid_file_with_json_prints_the_errors_as_json_too(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = check(capsys, str(write(tmp_path, "[ui]\nrefresh_hz = 0\n")), "--json")
    assert code == 2
    doc = json.loads(out)
    assert doc["valid"] is False
    assert doc["errors"] == ["ui.refresh_hz: Input should be greater than or equal to 0.5"]
    assert "ui.refresh_hz" in err


def test_literal_secret_in_a_readable_file_exits_2_with_the_fix(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path, SECRETS_FILE, mode=0o644)
    code, out, err = check(capsys, str(path))
    assert code == 2
    assert f"chmod 600 {path}" in err
    assert CANARY not in out + err


@pytest.mark.parametrize("flag", [(), ("--config",)])
def test_explicit_missing_path_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path, flag: tuple[str]) -> None:
    missing = tmp_path / "missing.toml"
    code, out, err = check(capsys, *flag, str(missing))
    assert (code, out) == (2, "")
    assert err == f"liqwatch config: config file not found: {missing}\n"


def test_without_path_the_xdg_default_is_used_and_may_be_absent(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    default = tmp_path / "xdg-config" / "liqwatch" / "config.toml"
    code, out, _ = check(capsys)
    assert code == 0
    assert f"# file: {default} (not found: defaults are used)" in out
    assert "# accounts: 0 enabled, 0 disabled" in out

    default.parent.mkdir(parents=True)
    write(default.parent, '[ui]\ntheme = "light"\n')
    code, out, _ = check(capsys)
    assert code == 0
    assert f"# file: {default}\n" in out
    assert 'theme = "light"' in out


def test_two_different_paths_are_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = check(capsys, str(EXAMPLE), "--config", str(tmp_path / "other.toml"))
    assert code == 2
    assert "PATH or --config" in err


def test_config_without_action_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config"]) == 2
    assert "liqwatch config check" in capsys.readouterr().err


def test_command_module_imports_only_the_standard_library() -> None:
    code = (
        "import sys, liqwatch.commands.config_cmd\n"
        "heavy = [m for m in ('pydantic', 'pydantic_settings', 'platformdirs') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
