"""``resolve_credentials``: an account missing its key is disabled with a reason; the others run."""

from __future__ import annotations

import sys
import textwrap
import types
from pathlib import Path

import pytest

from liqwatch.config import Account, Credentials, Disabled, load_settings, resolve_all, resolve_credentials

CANARY = "kEyVaLuE5a8e1"

FILE = """
[[accounts]]
name = "bybit"
exchange = "bybit"
api_key_env = "BYBIT_KEY"
api_secret_env = "BYBIT_SECRET"

[[accounts]]
name = "okx"
exchange = "okx"
api_key_env = "OKX_KEY"
api_secret_env = "OKX_SECRET"
passphrase_env = "OKX_PASS"

[[accounts]]
name = "hl"
exchange = "hyperliquid"
address = "0x00000000000000000000000000000000000000aa"

[[accounts]]
name = "off"
exchange = "binance"
enabled = false
api_key_env = "BINANCE_KEY"
api_secret_env = "BINANCE_SECRET"

[[accounts]]
name = "kr"
exchange = "ccxt"
ccxt_id = "krakenfutures"
keyring_service = "liqwatch"

[[accounts]]
name = "okx-kr"
exchange = "okx"
keyring_service = "liqwatch"
keyring_username = "okx-main"
"""


@pytest.fixture
def accounts(tmp_path: Path) -> dict[str, Account]:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(FILE), encoding="utf-8")
    return {a.name: a for a in load_settings(path, environ={}).accounts}


def test_missing_variable_disables_only_that_account(accounts: dict[str, Account]) -> None:
    env = {"BYBIT_KEY": CANARY, "BYBIT_SECRET": CANARY + "s", "OKX_KEY": CANARY, "OKX_SECRET": CANARY}
    outcome = resolve_all(list(accounts.values()), env)
    bybit = outcome["bybit"]
    assert isinstance(bybit, Credentials)
    assert bybit.api_key is not None and bybit.api_key.get_secret_value() == CANARY
    assert bybit.api_secret is not None and bybit.api_secret.get_secret_value() == CANARY + "s"
    assert bybit.origin == "environment variables BYBIT_KEY, BYBIT_SECRET"
    okx = outcome["okx"]
    assert isinstance(okx, Disabled)
    assert okx.reason == "environment variable OKX_PASS is not set"
    assert isinstance(outcome["hl"], Credentials)
    assert outcome["hl"].address == "0x00000000000000000000000000000000000000aa"
    assert isinstance(outcome["off"], Disabled) and "enabled = false" in outcome["off"].reason
    for result in outcome.values():
        assert CANARY not in repr(result)


def test_blank_variable_counts_as_missing(accounts: dict[str, Account]) -> None:
    result = resolve_credentials(accounts["bybit"], {"BYBIT_KEY": "  ", "BYBIT_SECRET": CANARY})
    assert isinstance(result, Disabled)
    assert result.reason == "environment variable BYBIT_KEY is empty"


def test_every_missing_variable_is_named(accounts: dict[str, Account]) -> None:
    result = resolve_credentials(accounts["okx"], {})
    assert isinstance(result, Disabled)
    assert result.reason == "environment variables OKX_KEY, OKX_SECRET, OKX_PASS are not set"


def test_os_environ_is_the_default(accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYBIT_KEY", CANARY)
    monkeypatch.setenv("BYBIT_SECRET", CANARY)
    assert isinstance(resolve_credentials(accounts["bybit"]), Credentials)


def test_keyring_not_installed_disables_with_a_clear_message(
    accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "keyring", None)  # makes `import keyring` fail
    result = resolve_credentials(accounts["kr"], {})
    assert isinstance(result, Disabled)
    assert "'keyring' package is not installed" in result.reason


def fake_keyring(monkeypatch: pytest.MonkeyPatch, entries: dict[tuple[str, str], str]) -> None:
    module = types.ModuleType("keyring")
    module.get_password = lambda service, user: entries.get((service, user))  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)


def test_keyring_entries_are_read_by_prefix(accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch) -> None:
    fake_keyring(
        monkeypatch,
        {
            ("liqwatch", "kr/api_key"): CANARY,
            ("liqwatch", "kr/api_secret"): CANARY,
            ("liqwatch", "okx-main/api_key"): CANARY,
            ("liqwatch", "okx-main/api_secret"): CANARY,
        },
    )
    kraken = resolve_credentials(accounts["kr"], {})
    assert isinstance(kraken, Credentials)
    assert kraken.passphrase is None  # optional for ccxt
    okx = resolve_credentials(accounts["okx-kr"], {})
    assert isinstance(okx, Disabled)
    assert okx.reason == "keyring service 'liqwatch' has no (or an empty) entry for user okx-main/passphrase"


def test_keyring_backend_errors_are_reported_without_their_text(
    accounts: dict[str, Account], monkeypatch: pytest.MonkeyPatch
) -> None:
    module = types.ModuleType("keyring")

    def broken(service: str, user: str) -> str:
        raise RuntimeError(CANARY)

    module.get_password = broken  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "keyring", module)
    result = resolve_credentials(accounts["kr"], {})
    assert isinstance(result, Disabled)
    assert "RuntimeError" in result.reason
    assert CANARY not in result.reason


def test_literal_secrets_come_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[[accounts]]\nname = "e"\nexchange = "okx"\napi_key = "{CANARY}"\napi_secret = "s"\npassphrase = "p"\n',
        encoding="utf-8",
    )
    path.chmod(0o600)
    result = resolve_credentials(load_settings(path, environ={}).accounts[0], {})
    assert isinstance(result, Credentials)
    assert result.source == "file"
    assert result.passphrase is not None and result.passphrase.get_secret_value() == "p"
    assert CANARY not in repr(result)
