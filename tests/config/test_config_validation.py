"""Bad values are reported as ``field.path: message``, never with the value itself."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from liqwatch.config import ConfigError, Settings, UiSettings, load_settings

CANARY = "cAnArY7f3e9b"  # written where a bad value goes; must never come back in a message
NUM_CANARY = "987654.321"

GOOD_ACCOUNT = """
[[accounts]]
name = "main"
exchange = "bybit"
api_key_env = "BYBIT_KEY"
api_secret_env = "BYBIT_SECRET"
"""


def write(tmp_path: Path, text: str, mode: int = 0o644) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(mode)
    return path


def config_error(tmp_path: Path, text: str, environ: dict[str, str] | None = None) -> ConfigError:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={} if environ is None else environ)
    return info.value


def account(body: str, exchange: str = "bybit") -> str:
    return f'[[accounts]]\nname = "a"\nexchange = "{exchange}"\n{textwrap.dedent(body)}'


KEYS = 'api_key_env = "K"\napi_secret_env = "S"\n'
HL = "0x" + "ab" * 20

BAD_INPUTS = [
    ("unknown-exchange", account(KEYS, exchange=CANARY), "accounts[0].exchange", CANARY),
    ("unknown-key", f'[ui]\nrefresh_hx = "{CANARY}"\n', "ui.refresh_hx: unknown option", CANARY),
    ("unknown-account-key", account(KEYS + f'api_kye = "{CANARY}"\n'), "accounts[0].api_kye", CANARY),
    ("negative-timeout", f"[feeds]\nconnect_timeout_s = -{NUM_CANARY}\n", "feeds.connect_timeout_s", NUM_CANARY),
    ("zero-market-age", "[feeds]\nmarket_max_age_s = 0\n", "feeds.market_max_age_s", "market_max_age_s = 0"),
    ("reconcile-range", f"[feeds]\nreconcile_interval_s = {NUM_CANARY}\n", "feeds.reconcile_interval_s", NUM_CANARY),
    ("thresholds-order", "[alerts]\nwarning = 0.7777\ncritical = 0.6666\n", "alerts.critical", "0.6666"),
    ("imminent-order", "[alerts]\nliquidation_imminent = 0.7777\n", "alerts.liquidation_imminent", "0.7777"),
    ("threshold-range", f"[alerts]\nwarning = {NUM_CANARY}\n", "alerts.warning", NUM_CANARY),
    ("hysteresis", "[alerts]\nwarning = 0.2\ncritical = 0.3\nhysteresis = 0.2345\n", "alerts.hysteresis", "0.2345"),
    (
        "distance-order",
        "[alerts]\ndistance_pct_warning = 2.345\ndistance_pct_critical = 6.789\n",
        "alerts.distance_pct_critical",
        "6.789",
    ),
    ("rest-url-path", account(KEYS + f'rest_url = "https://h.example/{CANARY}"\n'), "accounts[0].rest_url", CANARY),
    ("rest-url-scheme", account(KEYS + f'rest_url = "ftp://{CANARY}.example"\n'), "accounts[0].rest_url", CANARY),
    ("ws-url-scheme", account(KEYS + f'ws_url = "https://{CANARY}.example"\n'), "accounts[0].ws_url", CANARY),
    ("url-userinfo", account(KEYS + f'rest_url = "https://u:{CANARY}@h.example"\n'), "accounts[0].rest_url", CANARY),
    ("url-query", account(KEYS + f'ws_url = "wss://h.example?k={CANARY}"\n'), "accounts[0].ws_url", CANARY),
    ("url-port", account(KEYS + 'rest_url = "http://h.example:99999"\n'), "accounts[0].rest_url", "99999"),
    ("hl-address", account(f'address = "0x{CANARY}"\n', "hyperliquid"), "accounts[0].address", CANARY),
    ("hl-private-key", account(f'address = "0x{"c4" * 32}"\n', "hyperliquid"), "accounts[0].address", "c4" * 32),
    (
        "env-name-is-a-key",
        account(f'api_key_env = "{CANARY}"\napi_secret_env = "S"\n'),
        "accounts[0].api_key_env",
        CANARY,
    ),
    ("theme", f'[ui]\ntheme = "{CANARY}"\n', "ui.theme: Input should be 'dark'", CANARY),
    ("refresh-max", "[ui]\nrefresh_hz = 10.5\n", "ui.refresh_hz", "10.5"),
    ("storage-relative", f'[storage]\npath = "{CANARY}/db.sqlite3"\n', "storage.path", CANARY),
    ("binding-key", f'[ui.bindings]\nquit = "ctrl q {CANARY}"\n', "ui.bindings.quit", CANARY),
    ("name-chars", f'[[accounts]]\nname = "x y {CANARY}"\nexchange = "bybit"\n{KEYS}', "accounts[0].name", CANARY),
]


@pytest.mark.parametrize(("text", "field", "bad"), [b[1:] for b in BAD_INPUTS], ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_names_the_field_not_the_value(tmp_path: Path, text: str, field: str, bad: str) -> None:
    error = config_error(tmp_path, text)
    message = str(error)
    assert field in message
    assert bad not in message
    # Pydantic's own rendering, kept as the exception context, hides the input too.
    assert bad not in str(error.__context__)
    assert error.__cause__ is None


def test_bad_value_from_the_environment_is_not_echoed(tmp_path: Path) -> None:
    error = config_error(tmp_path, "", {"LIQWATCH_UI__REFRESH_HZ": CANARY})
    assert "ui.refresh_hz" in str(error)
    assert "LIQWATCH_UI__REFRESH_HZ" in str(error)  # names the variable that is in effect
    assert CANARY not in str(error)


def test_every_problem_is_listed(tmp_path: Path) -> None:
    error = config_error(tmp_path, "[ui]\ntheme = 1\n[feeds]\nconnect_timeout_s = -1\n")
    assert [p.split(":")[0] for p in error.problems] == ["ui.theme", "feeds.connect_timeout_s"]
    assert str(error).startswith(f"invalid configuration in {tmp_path / 'config.toml'}:")


@pytest.mark.parametrize(
    ("body", "exchange", "field"),
    [
        (KEYS, "ccxt", "accounts[0].ccxt_id: is required"),
        (KEYS + 'ccxt_id = "kraken"\n', "bybit", "accounts[0].ccxt_id: is only used"),
        ('api_key_env = "K"\n', "bybit", "accounts[0].api_secret_env: is required"),
        ('api_secret_env = "S"\n', "bybit", "accounts[0].api_key_env: is required"),
        ('api_key_env = "K"\napi_secret_env = "K"\n', "bybit", "accounts[0].api_secret_env: names the same"),
        (KEYS, "okx", "accounts[0].passphrase_env: is required for okx"),
        (KEYS + 'passphrase_env = "P"\n', "binance", "accounts[0].passphrase_env: is not used by binance"),
        ("", "bybit", "accounts[0].api_key_env: no credentials configured"),
        (KEYS + 'keyring_service = "liqwatch"\n', "bybit", "accounts[0].keyring_service: choose one"),
        ('keyring_username = "u"\napi_key_env = "K"\napi_secret_env = "S"\n', "bybit", "accounts[0].keyring_username"),
        (f'address = "{HL}"\n' + KEYS, "hyperliquid", "accounts[0].api_key_env: is not used by hyperliquid"),
        ("", "hyperliquid", "accounts[0].address: is required"),
        (KEYS + f'address = "{HL}"\n', "okx", "accounts[0].address: is only used by hyperliquid"),
    ],
)
def test_account_shape_rules(tmp_path: Path, body: str, exchange: str, field: str) -> None:
    assert field in str(config_error(tmp_path, account(body, exchange)))


def test_duplicate_names_are_refused_case_insensitively(tmp_path: Path) -> None:
    error = config_error(tmp_path, GOOD_ACCOUNT + GOOD_ACCOUNT.replace('"main"', '"Main"'))
    assert "accounts[1].name: duplicate account name (also used by accounts[0])" in str(error)


def test_per_account_overrides_are_checked_after_merging(tmp_path: Path) -> None:
    # 0.85 alone is a valid critical level, but not above the global liquidation_imminent = 0.8.
    text = "[alerts]\nwarning = 0.3\ncritical = 0.6\nliquidation_imminent = 0.8\n" + GOOD_ACCOUNT
    error = config_error(tmp_path, text + "[accounts.alerts]\ncritical = 0.85\n")
    assert "accounts[0].alerts: merged with [alerts]: liquidation_imminent: must be greater than critical" in str(error)


def test_the_redaction_mask_is_not_accepted_as_a_secret(tmp_path: Path) -> None:
    path = write(tmp_path, account('api_key = "**********"\napi_secret = "s"\n'), mode=0o600)
    with pytest.raises(ConfigError, match=r"accounts\[0\]\.api_key: is the redaction placeholder"):
        load_settings(path, environ={})


def test_urls_are_normalised_to_scheme_host_port(tmp_path: Path) -> None:
    text = account(KEYS + 'rest_url = "HTTPS://API.Example.com:8443/"\nws_url = "ws://[::1]:9000"\n')
    acct = load_settings(write(tmp_path, text), environ={}).accounts[0]
    assert (acct.rest_url, acct.ws_url) == ("https://api.example.com:8443", "ws://[::1]:9000")


def test_hyperliquid_address_is_stored_lower_case(tmp_path: Path) -> None:
    text = account(f'address = "{HL.upper().replace("0X", "0x")}"\n', "hyperliquid")
    assert load_settings(write(tmp_path, text), environ={}).accounts[0].address == HL


def test_settings_are_frozen_and_alerts_for_unknown_account_is_a_key_error(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, GOOD_ACCOUNT), environ={})
    with pytest.raises(ValueError, match="frozen"):
        settings.ui.theme = "light"
    with pytest.raises(KeyError):
        settings.alerts_for("nope")
    assert settings.account("main").native_exchange == "bybit"


def test_toml_syntax_error_is_a_config_error_without_the_text(tmp_path: Path) -> None:
    error = config_error(tmp_path, f'[ui]\ntheme = "dark"\n{CANARY} ! = 1\n')
    assert "not valid TOML" in str(error)
    assert CANARY not in str(error)


def test_settings_repr_never_reveals_a_secret(tmp_path: Path) -> None:
    path = write(tmp_path, account(f'api_key = "{CANARY}"\napi_secret = "{CANARY}s"\n'), mode=0o600)
    settings = load_settings(path, environ={})
    assert settings.accounts[0].api_key is not None
    assert settings.accounts[0].api_key.get_secret_value() == CANARY
    for text in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.accounts[0])):
        assert CANARY not in text


def test_settings_class_can_be_built_without_the_loader() -> None:
    assert isinstance(Settings(ui=UiSettings(refresh_hz=2)), Settings)
