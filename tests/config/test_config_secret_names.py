"""An unknown option whose name looks like a secret (``api_secrett``, ``passwd``, ``token``) is reported without
its value, and counts as a secret for the file's permission check; a name that could itself be a key (a quoted
TOML key holding a pasted secret) is not echoed either, in the message or in ``config check --json``."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from liqwatch.config import ConfigError, load_settings
from liqwatch.config.errors import looks_like_token, secret_like_name
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]
VALUE = "vAlUe-CaNaRy-5f1e"  # what a typo'd secret option holds
TOKEN_NAME = "xK8s9AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"  # a key pasted as an option's name

ACCOUNT = """
[[accounts]]
name = "main"
exchange = "binance"
api_key_env = "K"
api_secret_env = "S"
"""


def write(tmp_path: Path, extra: str, mode: int = 0o600) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(ACCOUNT) + textwrap.dedent(extra), encoding="utf-8")
    path.chmod(mode)
    return path


def error_of(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    return info.value


@pytest.mark.parametrize("name", ["api_secrett", "passwd", "token", "apikey", "private_key"])
def test_a_secret_like_unknown_option_is_named_without_its_value(tmp_path: Path, name: str) -> None:
    err = error_of(write(tmp_path, f'{name} = "{VALUE}"\n'))
    line = next(p for p in err.problems if p.startswith(f"accounts[0].{name}:"))
    assert "unknown option" in line and "looks like a secret: its value is not shown" in line
    assert VALUE not in str(err) and VALUE not in repr(err.problems)


def test_an_option_name_that_could_be_a_key_is_not_echoed(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, f'"{TOKEN_NAME}" = "{VALUE}"\n'))
    assert TOKEN_NAME not in str(err) and VALUE not in str(err)
    assert f"accounts[0].<name hidden: {len(TOKEN_NAME)} characters>: unknown option whose name looks like a " \
           "pasted key or secret" in str(err)


def test_config_check_json_does_not_echo_it_either(tmp_path: Path) -> None:
    path = write(tmp_path, f'"{TOKEN_NAME}" = "{VALUE}"\napi_secrett = "{VALUE}"\n')
    proc = subprocess.run([*tui_argv(), "config", "check", str(path), "--json"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT, env=dict(os.environ))
    assert proc.returncode == 2
    assert json.loads(proc.stdout)["valid"] is False
    for out in (proc.stdout, proc.stderr):
        assert TOKEN_NAME not in out and VALUE not in out


def test_a_world_readable_file_holding_a_secret_like_option_is_refused_as_a_secrets_file(tmp_path: Path) -> None:
    """The value is a secret in a file others can read, whatever the option's spelling: the ssh rule applies."""
    err = error_of(write(tmp_path, f'api_secrett = "{VALUE}"\n[ui]\n"{TOKEN_NAME}" = "x"\n', mode=0o644))
    text = str(err)
    assert "UNPROTECTED CONFIGURATION FILE" in text and "chmod 600" in text
    assert "accounts[0].api_secrett" in text and TOKEN_NAME not in text and VALUE not in text


def test_ordinary_names_are_neither_secret_like_nor_hidden() -> None:
    for name in ("refresh_hz", "api_key_env", "bot_token_env", "keyring_service", "keyring_username",
                 "distance_sigma_critical", "UI", "refresh_hx", "BTC/USDT:USDT", "address"):
        assert not looks_like_token(name), name
    for name in ("api_key_env", "passphrase_env", "keyring_service", "refresh_hz", "address", "name"):
        assert not secret_like_name(name), name
    assert looks_like_token("a3f9c1d2e4b5a6c7d8e9f0a1b2c3d4e5") and looks_like_token("has space")


def test_a_key_pasted_as_a_binding_name_is_hidden_and_pydantics_own_markers_kept(tmp_path: Path) -> None:
    err = error_of(write(tmp_path, f'[ui.bindings]\n"Not-Action" = "q"\n"{TOKEN_NAME}" = "z"\n'))
    assert "ui.bindings.Not-Action.[key]: action names are lower-case" in str(err)
    assert f"ui.bindings.<name hidden: {len(TOKEN_NAME)} characters>.[key]" in str(err)
    assert TOKEN_NAME not in str(err)
