"""Launching: ``liqwatch demo`` routes to the App on a terminal and to text otherwise; a bare ``liqwatch``
opens the App on configured accounts; the demo App shows live positions from the embedded emulator
(127.0.0.1 only) and shuts its feeds down on quit."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

import pytest

from liqwatch.config import Settings
from liqwatch.config.settings import StorageSettings
from tui import cli, launch
from tui.app import make_app
from tui.launch import demo_backend
from widgets.header_view import RiskHeader
from widgets.panes import PositionsTable


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


def test_bare_liqwatch_opens_the_app_on_configured_accounts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls: list[object] = []
    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    monkeypatch.setattr(launch, "has_accounts", lambda path: True)
    monkeypatch.setattr(launch, "run_config_app", _stub(calls))
    assert cli.main(["--config", str(tmp_path / "c.toml")]) == 0
    assert calls == [tmp_path / "c.toml"]


def test_bare_liqwatch_without_accounts_prints_help(monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(cli, "on_terminal", lambda: True)
    monkeypatch.setattr(launch, "has_accounts", lambda path: False)
    assert cli.main([]) == 0
    assert "usage: liqwatch" in capsys.readouterr().out


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
