"""``liqwatch --config PATH COMMAND``: the top-level ``--config`` listed in ``--help`` reaches the command (the
check as a user runs it, in a process of its own; the parsing errors through ``tui.cli.main`` in this one)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.cli.watched import run_main
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ('[[accounts]]\nname = "main"\nexchange = "binance"\napi_key_env = "LW_TEST_NOPE_KEY"\n'
          'api_secret_env = "LW_TEST_NOPE_SECRET"\n')


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no default config to fall back on


def liqwatch(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*tui_argv(), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=dict(os.environ))


@pytest.mark.slow(3)
def test_top_level_config_reaches_check(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    proc = liqwatch("--config", str(cfg), "check", "--json", "--timeout", "0.5")  # nothing can go LIVE
    assert "no accounts configured" not in proc.stderr
    assert proc.returncode == 3, proc.stderr
    doc = json.loads(proc.stdout)
    assert [a["name"] for a in doc["accounts"]] == ["main"]  # the file's account, disabled without its key
    assert "LW_TEST_NOPE_KEY" in doc["accounts"][0]["disabled"]


def test_top_level_config_reaches_config_check(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    rc, out, err = run_main("--config", str(cfg), "config", "check", "--json")
    assert rc == 0, err
    assert "main" in out and str(cfg) in out


def test_two_different_config_files_or_a_command_without_one_is_a_clear_error(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    rc, _, err = run_main("--config", str(cfg), "check", "--config", str(tmp_path / "other.toml"))
    assert rc == 2 and "not two different files" in err
    rc, _, err = run_main("--config", str(cfg), "calc", "-")
    assert rc == 2 and "'liqwatch calc' reads no configuration file" in err
