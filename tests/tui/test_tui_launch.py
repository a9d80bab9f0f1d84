"""Launching: ``liqwatch demo`` routes to the App on a terminal and to text otherwise; a bare ``liqwatch``
opens the App on configured accounts; the demo App shows live positions from the embedded emulator
(127.0.0.1 only) and shuts its feeds down on quit."""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
from pathlib import Path

import pytest

from liqwatch.config import Settings
from liqwatch.config.settings import StorageSettings
from tests.tui_command import tui_argv
from tui import cli, launch
from tui.app import make_app
from tui.launch import demo_backend
from widgets.header_view import RiskHeader
from widgets.panes import PositionsTable

ROOT = Path(__file__).resolve().parents[2]


def _stub(calls: list[object]) -> object:
    def run(arg: object) -> int:
        calls.append(arg)
        return 0

    return run


def test_demo_on_a_terminal_opens_the_app(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    monkeypatch.setattr(launch, "run_demo_app", _stub(calls))
    assert cli.main(["demo", "--seconds", "2", "--speed", "3"]) == 0
    (args,) = calls
    assert isinstance(args, argparse.Namespace) and args.seconds == 2 and args.speed == 3


@pytest.mark.parametrize("flag", ["--plain", "--json"])
def test_demo_text_modes_never_open_the_app(monkeypatch: pytest.MonkeyPatch, flag: str) -> None:
    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    monkeypatch.setattr(launch, "run_demo_app", lambda _args: pytest.fail("the App was launched"))
    args = cli.build_parser().parse_args(["demo", flag])
    assert not cli.wants_app(args)


def test_demo_off_a_terminal_keeps_the_text_table(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "on_terminal", lambda: False)
    assert not cli.wants_app(cli.build_parser().parse_args(["demo"]))


CONFIG = ('[[accounts]]\nname = "main"\nexchange = "binance"\napi_key_env = "LW_TEST_NOPE_KEY"\n'
          'api_secret_env = "LW_TEST_NOPE_SECRET"\n')


@pytest.fixture
def no_default_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "liqwatch" / "config.toml"


def test_bare_liqwatch_opens_the_app_on_configured_accounts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[object] = []
    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    monkeypatch.setattr(launch, "run_config_app", _stub(calls))
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    assert cli.main(["--config", str(cfg)]) == 0
    (settings,) = calls
    assert isinstance(settings, Settings) and [a.name for a in settings.accounts] == ["main"]


@pytest.mark.parametrize("terminal", [True, False])
def test_bare_liqwatch_without_a_config_says_where_it_looked_and_how_to_start(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], no_default_config: Path,
        terminal: bool) -> None:
    monkeypatch.setattr(cli, "on_terminal", lambda: terminal)
    monkeypatch.setattr(launch, "run_config_app", lambda _s: pytest.fail("the App was launched"))
    assert cli.main([]) == 2
    out, err = capsys.readouterr()
    assert "usage:" not in out + err
    assert f"no configuration file at {no_default_config}" in err
    assert "liqwatch demo" in err and "config.example.toml" in err


@pytest.mark.parametrize("terminal", [True, False])
@pytest.mark.parametrize(("text", "mode", "told"), [
    ("[ui]\nthem = 3\n", 0o600, "ui.them: unknown option"),
    ('[ui]\ntheme = "neon"\n', 0o600, "ui.theme"),
    ('[[accounts]]\nname = "emu"\nexchange = "bybit"\napi_key = "k1"\napi_secret = "s1"\n', 0o644,
     "UNPROTECTED CONFIGURATION FILE: permissions 0644"),
])
def test_a_broken_or_unsafe_config_is_told_the_same_on_a_terminal_or_not(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str,
        mode: int, told: str, terminal: bool) -> None:
    monkeypatch.setattr(cli, "on_terminal", lambda: terminal)
    monkeypatch.setattr(launch, "run_config_app", lambda _s: pytest.fail("the App was launched"))
    cfg = tmp_path / "c.toml"
    cfg.write_text(text, encoding="utf-8")
    cfg.chmod(mode)
    assert cli.main(["--config", str(cfg)]) == 2
    out, err = capsys.readouterr()
    assert "usage:" not in out + err
    assert str(cfg) in err and told in err


def test_configured_accounts_off_a_terminal_say_the_app_needs_one(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    monkeypatch.setattr(cli, "on_terminal", lambda: False)
    cfg = tmp_path / "c.toml"
    cfg.write_text(CONFIG, encoding="utf-8")
    assert cli.main(["--config", str(cfg)]) == 2
    assert "needs a terminal" in capsys.readouterr().err


def test_a_missing_config_piped_into_head_is_an_error_not_the_usage(tmp_path: Path) -> None:
    """`liqwatch --config /missing.toml | head`: stdout is a pipe, as in the report."""
    missing = tmp_path / "missing.toml"
    proc = subprocess.run([*tui_argv(), "--config", str(missing)], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=60, cwd=ROOT,
                          env={**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "xdg")})
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert f"config file not found: {missing}" in proc.stderr


async def test_the_demo_app_shows_live_positions_and_stops_its_feeds(tmp_path: Path) -> None:
    settings = Settings(storage=StorageSettings(path=tmp_path / "liqwatch.sqlite3"))
    app = make_app(settings.ui, connect=lambda: demo_backend(settings, speed=1.0))
    async with app.run_test(size=(160, 50)) as pilot:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 45
        positions = app.monitor.query_one(PositionsTable)
        while len(positions.row_keys) < 5 or "LIVE" not in app.monitor.query_one(RiskHeader).plain:
            assert loop.time() < deadline, "no live positions from the emulator in time"
            await pilot.pause(0.1)
        symbols = {k.split("|")[1] for k in positions.row_keys}
        assert {"BTC/USDT:USDT", "ETH/USDC:USDC"} <= symbols
        assert "demo · emulator on 127.0.0.1:" in str(app.monitor.sub_title)
        feeds = app._feeds
        assert feeds is not None and not feeds.done()
    assert feeds.done()  # closed by the App, not left for the loop to destroy
    assert len(list((tmp_path / "demo").glob("liqwatch-*.sqlite3"))) == 1  # recorded beside, in the run's own
    assert not (tmp_path / "liqwatch.sqlite3").exists()  # never in the real file
