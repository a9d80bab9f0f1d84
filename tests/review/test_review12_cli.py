"""Review of issue 12, command line and configuration: what a remapped key can hide, and what
``liqwatch serve`` runs in a tab without ``--demo``."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from liqwatch.config import ConfigError, load_settings
from tests.tui_command import tui_argv


def _config(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.mark.parametrize(("key", "other"), [("?", "help"), ("/", "filter")])
def test_a_single_character_key_conflicts_with_its_named_twin(tmp_path: Path, key: str, other: str) -> None:
    # Textual's make_bindings turns "?" into "question_mark" and "/" into "slash": ack = "?" takes help's key
    # (or help takes ack's) on the main screen, exactly the conflict LIQWATCH_UI__BINDINGS__QUIT=a is refused for.
    path = _config(tmp_path, f'[ui.bindings]\nack = "{key}"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "ack" in str(caught.value) and other in str(caught.value)


def test_a_serve_tab_on_the_configured_accounts_opens_the_app(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    import tui.app
    import tui.terminal_out
    from tui import serve_session

    path = _config(tmp_path, '[[accounts]]\nname = "hl"\nexchange = "hyperliquid"\n'
                             'address = "0x0000000000000000000000000000000000000001"\n'
                             f'[storage]\npath = "{tmp_path / "r.sqlite3"}"\n')
    load_settings(path, environ={})  # the file itself is valid
    opened: list[Any] = []

    class StandIn:  # the App is not run: what matters is that it is built from the file's settings
        def run(self) -> None:
            opened.append("run")

    def make_app(ui: Any, **_kw: Any) -> StandIn:
        opened.append(ui)
        return StandIn()

    monkeypatch.setattr(tui.app, "make_app", make_app)
    monkeypatch.setattr(tui.terminal_out, "AppTerminal", lambda app: None)
    assert serve_session.main(["--config", str(path)]) == 0
    assert opened and opened[-1] == "run"


def test_a_misspelt_key_name_is_refused_with_the_name(tmp_path: Path) -> None:
    # Textual takes any string as a key: quit = "escpae" unbinds q and binds nothing, and `config check` says
    # "valid". The README: key names are Textual's ("q", "ctrl+r", "f5").
    path = _config(tmp_path, '[ui.bindings]\nquit = "escpae"\n')
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert "escpae" in str(caught.value)


def test_demo_plain_into_head_ends_without_a_traceback(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    proc = subprocess.Popen([*tui_argv(), "demo", "--plain", "--seconds", "1.5"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline()  # `head -1`: one line read, then the reader is gone
    proc.stdout.close()
    try:
        err = proc.stderr.read()
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert "Traceback" not in err and "BrokenPipeError" not in err, err[-500:]


def test_config_check_says_a_bybit_account_is_watched_live(tmp_path: Path) -> None:
    config = _config(tmp_path, (Path(__file__).resolve().parents[2] / "examples/config/bybit.toml").read_text())
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               BYBIT_API_KEY="k" * 18, BYBIT_API_SECRET="s" * 36)
    proc = subprocess.run([*tui_argv(), "config", "check", str(config)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    line = next(s for s in proc.stdout.splitlines() if s.startswith("#   bybit (bybit):"))
    assert "enabled" in line and "no live feed" not in line, line  # Bybit has a live feed (issue 13)


def test_alerts_with_a_missing_db_file_named_is_an_error(tmp_path: Path) -> None:
    env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"))
    missing = tmp_path / "demo" / "liqwatch-20261201T120000.000000Z.sqlite3"
    proc = subprocess.run([*tui_argv(), "alerts", "--db", str(missing)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout
    assert str(missing) in proc.stderr
