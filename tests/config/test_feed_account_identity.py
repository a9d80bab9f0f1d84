"""Issue 11: ``FeedAccount`` dropped the passphrase and the ``ccxt_id`` the config validated, and the exchange
id was a closed enum (a ccxt account was even listed as "binance"). Both are carried now, secrets masked in
repr, read from a configuration file; the exchange id is open-ended."""

from __future__ import annotations

import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from liqwatch.config import load_settings
from liqwatch.feeds.from_config import feed_accounts
from liqwatch.model import AccountSpec, Exchange
from liqwatch.monitor import Monitor
from liqwatch.risk.binance import BinanceRisk
from liqwatch.risk.okx import OkxRisk
from liqwatch.risk.registry import UnknownExchange, risk_rules, rules_for
from tests.feeds.harness import eventually

KEY, SECRET, PHRASE = "okxKEYcanary01", "okxSECRETcanary02", "okxPHRASEcanary03"
CCXT_KEY, CCXT_SECRET, CCXT_PASS = "krKEYcanary04", "krSECRETcanary05", "krPASScanary06"

FILE = """
[[accounts]]
name = "okx-main"
exchange = "okx"
api_key_env = "OKX_KEY"
api_secret_env = "OKX_SECRET"
passphrase_env = "OKX_PASS"

[[accounts]]
name = "kraken"
exchange = "ccxt"
ccxt_id = "krakenfutures"
rest_url = "http://127.0.0.1:9"  # nothing listens there: the test never leaves the machine
api_key_env = "KR_KEY"
api_secret_env = "KR_SECRET"
passphrase_env = "KR_PASS"

[[accounts]]
name = "kraken-off"
exchange = "ccxt"
ccxt_id = "kraken"
enabled = false
api_key_env = "KR_KEY"
api_secret_env = "KR_SECRET"
"""
ENV = {"OKX_KEY": KEY, "OKX_SECRET": SECRET, "OKX_PASS": PHRASE,
       "KR_KEY": CCXT_KEY, "KR_SECRET": CCXT_SECRET, "KR_PASS": CCXT_PASS}


def _accounts(tmp_path: Path):  # type: ignore[no-untyped-def]
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(FILE), encoding="utf-8")
    path.chmod(0o600)
    return feed_accounts(load_settings(path, environ=ENV), ENV)


def test_passphrase_and_ccxt_id_reach_the_feed_account_masked(tmp_path: Path) -> None:
    accounts, disabled = _accounts(tmp_path)
    by_name = {a.name: a for a in accounts}
    okx, kraken = by_name["okx-main"], by_name["kraken"]
    assert okx.exchange == Exchange.OKX and okx.ccxt_id is None
    assert okx.passphrase is not None and okx.passphrase.get() == PHRASE
    assert kraken.exchange == "ccxt" and kraken.ccxt_id == "krakenfutures"
    assert kraken.passphrase is not None and kraken.passphrase.get() == CCXT_PASS
    for acc in accounts:
        shown = repr(acc) + str(acc)
        assert not any(s in shown for s in (KEY, SECRET, PHRASE, CCXT_KEY, CCXT_SECRET, CCXT_PASS))
    assert "krakenfutures" in repr(kraken)  # an id, not a secret
    # a disabled ccxt account is listed under its own id, no longer as "binance"
    assert disabled["kraken-off"] == ("ccxt", "disabled in the configuration (enabled = false)")


async def test_a_ccxt_account_is_watched_under_its_id(tmp_path: Path) -> None:
    """Issue 14: a generic account has its live feed (no longer "no live feed yet"), under ``ccxt:<id>``; one
    disabled in the configuration is listed as such. An endpoint that refuses says so on its channels."""
    accounts, disabled = _accounts(tmp_path)
    async with Monitor([a for a in accounts if a.exchange == "ccxt"], disabled=disabled) as monitor:
        snap = monitor.store.snapshot()
        kraken, off = snap.account("kraken"), snap.account("kraken-off")
        assert kraken.exchange == "ccxt:krakenfutures" and kraken.disabled_reason is None
        assert off.exchange == "ccxt" and off.disabled_reason == "disabled in the configuration (enabled = false)"
        channels = monitor.store.channels("kraken")
        await eventually(lambda: all("bootstrap failed" in c.detail for c in channels), 20, "the refusal shown")
        assert all("load_markets" in c.detail for c in channels), [c.detail for c in channels]


async def test_a_ccxt_id_ccxt_does_not_have_disables_the_account_with_close_matches(tmp_path: Path) -> None:
    accounts, _ = _accounts(tmp_path)
    kraken = next(a for a in accounts if a.name == "kraken")
    async with Monitor([replace(kraken, ccxt_id="krakenfutures2")]) as monitor:
        await eventually(lambda: monitor.store.snapshot().account("kraken").disabled_reason is not None, 20,
                         "disabled")
        reason = monitor.store.snapshot().account("kraken").disabled_reason or ""
        assert "not watchable" in reason and "'krakenfutures2' is not an exchange of ccxt" in reason
        assert "did you mean 'krakenfutures'" in reason


def test_risk_rules_are_found_by_id_for_known_exchanges_only() -> None:
    assert rules_for("binance") is BinanceRisk and rules_for(Exchange.OKX) is OkxRisk
    assert rules_for("krakenfutures") is None and rules_for("ccxt") is None
    assert isinstance(risk_rules("binance", 0.0004), BinanceRisk)
    with pytest.raises(UnknownExchange, match=r"no risk rules for exchange 'krakenfutures' \(liqwatch models "
                                              r"binance, bybit, hyperliquid, okx\)"):
        risk_rules("krakenfutures")


def test_a_plain_string_id_is_the_known_exchange() -> None:
    # Ids read from a config or a database are plain strings: they equal (and hash as) the known ones.
    assert AccountSpec("a", "hyperliquid") == AccountSpec("a", Exchange.HYPERLIQUID)
    assert {Exchange.BINANCE: 1}["binance"] == 1


def test_a_ccxt_account_may_be_read_by_address_alone_or_with_keys(tmp_path: Path) -> None:
    """Hyperliquid through ccxt is read by wallet address (ccxt's walletAddress); an address beside keys rides
    along; any other exchange still refuses an address."""
    addr = "0x" + "ab" * 20
    path = tmp_path / "config.toml"
    path.write_text(textwrap.dedent(f"""
        [[accounts]]
        name = "hl-ccxt"
        exchange = "ccxt"
        ccxt_id = "hyperliquid"
        address = "{addr}"

        [[accounts]]
        name = "kr"
        exchange = "ccxt"
        ccxt_id = "krakenfutures"
        address = "{addr}"
        api_key_env = "KR_KEY"
        api_secret_env = "KR_SECRET"
        """), encoding="utf-8")
    path.chmod(0o600)
    accounts, disabled = feed_accounts(load_settings(path, environ=ENV), ENV)
    by_name = {a.name: a for a in accounts}
    assert not disabled and by_name["hl-ccxt"].address == addr and by_name["hl-ccxt"].api_key is None
    assert by_name["kr"].address == addr and by_name["kr"].api_key is not None
    bad = tmp_path / "bad.toml"
    bad.write_text(f'[[accounts]]\nname = "b"\nexchange = "binance"\naddress = "{addr}"\n', encoding="utf-8")
    bad.chmod(0o600)
    with pytest.raises(Exception, match="address"):
        load_settings(bad, environ=ENV)
