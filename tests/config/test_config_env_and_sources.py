"""Sources: init > ``LIQWATCH_*`` environment (``__`` nesting) > TOML file > defaults; accounts file-only."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from liqwatch.config import ConfigError, default_config_path, load_config, load_settings

FILE = """
[ui]
refresh_hz = 2
theme = "light"

[alerts]
warning = 0.4

[[accounts]]
name = "main"
exchange = "bybit"
api_key_env = "BYBIT_KEY"
api_secret_env = "BYBIT_SECRET"
"""
EVIL = "0x" + "e" * 40


def write(tmp_path: Path, text: str = FILE) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_env_overrides_one_option_of_a_table_and_keeps_the_others(tmp_path: Path) -> None:
    env = {"LIQWATCH_UI__REFRESH_HZ": "8", "LIQWATCH_ALERTS__WARNING": "0.6", "LIQWATCH_FEEDS__CONNECT_TIMEOUT_S": "3"}
    settings = load_settings(write(tmp_path), environ=env)
    assert settings.ui.refresh_hz == 8  # env over file
    assert settings.ui.theme == "light"  # file, same table
    assert settings.alerts.warning == 0.6
    assert settings.alerts.critical == 0.8  # default
    assert settings.feeds.connect_timeout_s == 3


def test_env_names_are_case_insensitive_and_tables_accept_json(tmp_path: Path) -> None:
    env = {"liqwatch_ui__theme": "monochrome", "LIQWATCH_FEEDS": json.dumps({"market_max_age_s": 2})}
    settings = load_settings(write(tmp_path), environ=env)
    assert (settings.ui.theme, settings.feeds.market_max_age_s) == ("monochrome", 2)


def test_env_reaches_nested_tables_and_dicts(tmp_path: Path) -> None:
    env = {"LIQWATCH_UI__BINDINGS__QUIT": "ctrl+q", "LIQWATCH_STORAGE__PATH": str(tmp_path / "db.sqlite3")}
    settings = load_settings(write(tmp_path), environ=env)
    assert settings.ui.bindings == {"quit": "ctrl+q"}
    assert settings.storage.path == tmp_path / "db.sqlite3"


def test_init_overrides_beat_env(tmp_path: Path) -> None:
    settings = load_settings(
        write(tmp_path), environ={"LIQWATCH_UI__REFRESH_HZ": "8"}, overrides={"ui": {"refresh_hz": 9}}
    )
    assert (settings.ui.refresh_hz, settings.ui.theme) == (9, "light")


def test_env_cannot_add_or_change_accounts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = {
        "LIQWATCH_ACCOUNTS": json.dumps([{"name": "evil", "exchange": "hyperliquid", "address": EVIL}]),
        "LIQWATCH_ACCOUNTS__0__NAME": "evil",
        "LIQWATCH_ACCOUNTS__1": json.dumps({"name": "evil", "exchange": "hyperliquid", "address": EVIL}),
    }
    loaded = load_config(write(tmp_path), environ=env)
    assert [a.name for a in loaded.settings.accounts] == ["main"]
    assert loaded.env_ignored == tuple(sorted(env))
    assert loaded.env_applied == ()
    # Nor without a file.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "empty"))
    assert load_settings(None, environ=env).accounts == []


def test_invalid_json_in_env_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="LIQWATCH_"):
        load_settings(write(tmp_path), environ={"LIQWATCH_UI": "{not json"})


def test_unknown_nested_env_option_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"ui\.refresh: unknown option"):
        load_settings(write(tmp_path), environ={"LIQWATCH_UI__REFRESH": "8"})


def test_default_location_follows_xdg_and_a_missing_default_file_means_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_config_path() == tmp_path / "xdg" / "liqwatch" / "config.toml"
    loaded = load_config(None, environ={})
    assert not loaded.file_found
    assert loaded.settings.accounts == []
    assert loaded.settings.ui.refresh_hz == 4

    default_config_path().parent.mkdir(parents=True)
    write(default_config_path().parent)
    assert load_config(None, environ={}).settings.ui.theme == "light"


def test_an_explicit_path_must_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=f"config file not found: {missing}"):
        load_settings(missing, environ={})


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not a regular file"):
        load_settings(tmp_path, environ={})


def test_non_utf8_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[ui]\ntheme = "\xff"\n')
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_settings(path, environ={})


def test_keys_are_case_sensitive_in_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="UI: unknown option"):
        load_settings(write(tmp_path, '[UI]\ntheme = "light"\n'), environ={})
