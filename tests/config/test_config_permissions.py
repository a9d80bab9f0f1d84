"""Literal secrets only in a regular file owned by the user and readable by the user alone."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from liqwatch.config import ConfigError, load_settings

CANARY = "sEcReT9d2c41"

WITH_SECRET = f"""
[[accounts]]
name = "emu"
exchange = "bybit"
api_key = "{CANARY}"
api_secret = "{CANARY}x"
rest_url = "http://127.0.0.1:8765"
"""

WITHOUT_SECRET = """
[[accounts]]
name = "main"
exchange = "bybit"
api_key_env = "BYBIT_KEY"
api_secret_env = "BYBIT_SECRET"
"""


def write(tmp_path: Path, text: str, mode: int, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(mode)
    return path


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o700 | 0o004])
def test_literal_secret_in_a_file_others_can_read_is_refused_with_the_fix(tmp_path: Path, mode: int) -> None:
    path = write(tmp_path, WITH_SECRET, mode)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    message = str(info.value)
    assert f"permissions {mode:04o} for {path} are too open" in message
    assert f"chmod 600 {path}" in message
    assert "accounts[0].api_key" in message
    assert CANARY not in message


@pytest.mark.parametrize("mode", [0o600, 0o400])
def test_literal_secret_in_an_owner_only_file_is_accepted(tmp_path: Path, mode: int) -> None:
    settings = load_settings(write(tmp_path, WITH_SECRET, mode), environ={})
    assert settings.accounts[0].api_key is not None
    assert settings.accounts[0].api_key.get_secret_value() == CANARY


def test_a_file_without_literal_secrets_may_be_world_readable(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, WITHOUT_SECRET, 0o644), environ={}).accounts[0].name == "main"


def test_a_symlink_to_a_file_with_literal_secrets_is_refused(tmp_path: Path) -> None:
    real = write(tmp_path, WITH_SECRET, 0o600, name="real.toml")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    with pytest.raises(ConfigError) as info:
        load_settings(link, environ={})
    message = str(info.value)
    assert "symbolic link" in message
    assert str(real) in message  # the fix points at the real file
    assert CANARY not in message
    load_settings(real, environ={})  # which is accepted


def test_a_symlink_without_literal_secrets_is_fine(tmp_path: Path) -> None:
    real = write(tmp_path, WITHOUT_SECRET, 0o644, name="real.toml")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    assert load_settings(link, environ={}).accounts[0].name == "main"


def test_a_file_owned_by_someone_else_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, WITH_SECRET, 0o600)
    monkeypatch.setattr(os, "getuid", lambda: os.stat(path).st_uid + 4242)
    with pytest.raises(ConfigError, match="not by you"):
        load_settings(path, environ={})


def test_the_fix_quotes_a_path_with_spaces(tmp_path: Path) -> None:
    path = write(tmp_path, WITH_SECRET, 0o644, name="my config.toml")
    with pytest.raises(ConfigError, match=r"chmod 600 '.*/my config\.toml'"):
        load_settings(path, environ={})


WEBHOOK_IN_FILE = f"""
[[alerts.delivery.webhooks]]
name = "phone"
kind = "ntfy"
url = "https://ntfy.example/{CANARY}"
"""


def test_a_literal_webhook_url_needs_an_owner_only_file(tmp_path: Path) -> None:
    path = write(tmp_path, WEBHOOK_IN_FILE, 0o644)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    message = str(info.value)
    assert "alerts.delivery.webhooks[0].url" in message and f"chmod 600 {path}" in message
    assert CANARY not in message
    path.chmod(0o600)
    assert load_settings(path, environ={}).alerts.delivery.webhooks
