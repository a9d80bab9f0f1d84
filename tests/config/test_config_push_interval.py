"""Row 23 of the fault catalogue: a market freshness limit at or below an exchange's push interval is refused
at start (the channel would flap between LIVE and STALE), with a field-level message that names the exchange
and its interval and never echoes the value."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from liqwatch.config import ConfigError, load_settings

BINANCE = """
[[accounts]]
name = "main"
exchange = "binance"
api_key_env = "K"
api_secret_env = "S"
"""
HYPERLIQUID = f"""
[[accounts]]
name = "hl"
exchange = "hyperliquid"
address = "0x{"ab" * 20}"
"""
BYBIT = """
[[accounts]]
name = "by"
exchange = "bybit"
api_key_env = "K"
api_secret_env = "S"
"""


def load(tmp_path: Path, text: str, environ: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    path.chmod(0o600)
    return load_settings(path, environ=environ or {})


@pytest.mark.parametrize(("accounts", "age", "exchange", "stream"), [
    (BINANCE, "0.5", "binance", "markPrice@1s"),
    (BINANCE, "1.0", "binance", "markPrice@1s"),
    (HYPERLIQUID, "0.73", "hyperliquid", "activeAssetCtx"),
], ids=["binance-below", "binance-equal", "hyperliquid-below"])
def test_market_max_age_at_or_below_the_push_interval_is_refused(
        tmp_path: Path, accounts: str, age: str, exchange: str, stream: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, f"[feeds]\nmarket_max_age_s = {age}\n{accounts}")
    message = str(info.value)
    problem = next(p for p in info.value.problems if p.startswith("feeds.market_max_age_s:"))
    assert f"{exchange} pushes {stream} every 1 s" in problem and "more than 1 s" in problem
    assert "flap" in problem
    assert f"= {age}" not in message and age not in problem  # the value is not echoed


def test_the_limit_from_the_environment_is_checked_too(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, BINANCE, {"LIQWATCH_FEEDS__MARKET_MAX_AGE_S": "0.5"})
    assert any(p.startswith("feeds.market_max_age_s:") for p in info.value.problems)


def test_a_limit_above_every_configured_push_interval_is_accepted(tmp_path: Path) -> None:
    assert load(tmp_path, f"[feeds]\nmarket_max_age_s = 1.5\n{BINANCE}{HYPERLIQUID}").feeds.market_max_age_s == 1.5
    # Bybit's tickers push every 100 ms: a limit of 0.5 s is above it.
    assert load(tmp_path, f"[feeds]\nmarket_max_age_s = 0.5\n{BYBIT}").feeds.market_max_age_s == 0.5


@pytest.mark.parametrize(("option", "value"), [("market_max_age_s", "-2"), ("connect_timeout_s", "-1"),
                                               ("connect_timeout_s", "0"), ("reconcile_interval_s", "-20")])
def test_negative_or_zero_timeouts_are_refused(tmp_path: Path, option: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load(tmp_path, f"[feeds]\n{option} = {value}\n{BINANCE}")
    assert any(p.startswith(f"feeds.{option}:") for p in info.value.problems)
