"""Issue 11: signers as declared data. Binance's HMAC query signer moved out of the adapter, Bybit v5 and
OKX v5 beside it. Binance's is checked against the example of its own API docs; Bybit and OKX document the
recipe but no signed output, so theirs are checked against vectors computed by hand with
``printf '%s' PAYLOAD | openssl dgst -sha256 -hmac SECRET`` (``-binary | base64`` for OKX)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta, timezone

import pytest

from liqwatch.feeds.account_config import Secret
from liqwatch.feeds.signing import BinanceSigner, BybitSigner, OkxSigner, hmac_sha256, iso_ms
from liqwatch.redact import redact

# 1700000000.123 s after the epoch: 2023-11-14T22:13:20.123Z
AT = datetime(2023, 11, 14, 22, 13, 20, 123000, tzinfo=UTC)


def test_binance_hmac_matches_the_documented_example() -> None:
    # Binance "SIGNED endpoint security", example 1: that secret and query give that signature.
    secret = Secret("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j")
    query = ("symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
             "&timestamp=1499827319559")
    assert hmac_sha256(secret, query).hex() == "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71"


def test_binance_signer_appends_timestamp_window_and_signature_to_the_query() -> None:
    signer = BinanceSigner(Secret("binance-test-key"), Secret("test-secret-binance"))
    signed = signer.sign("GET", "/fapi/v2/positionRisk", {"symbol": "BTCUSDT"}, "", AT)
    # openssl: 'symbol=BTCUSDT&timestamp=1700000000123&recvWindow=5000' with secret 'test-secret-binance'
    assert signed.query == ("symbol=BTCUSDT&timestamp=1700000000123&recvWindow=5000&signature="
                            "9ac11aeb1aefe39a6bcdab4f4cac1e941842b834339f29cf15c6389aaca8d5c7")
    assert signed.headers == {"X-MBX-APIKEY": "binance-test-key"}
    assert signed.url("https://fapi.binance.com/", "/fapi/v2/positionRisk").startswith(
        "https://fapi.binance.com/fapi/v2/positionRisk?symbol=BTCUSDT&timestamp=")


def test_bybit_v5_signer_signs_timestamp_key_window_and_query() -> None:
    signer = BybitSigner(Secret("XXXXXXXXXX"), Secret("YYYYYYYYYYYYYYYYYYYYYYYY"))
    signed = signer.sign("GET", "/v5/position/list", {"category": "linear", "symbol": "BTCUSDT"}, "", AT)
    # openssl: '1700000000123XXXXXXXXXX5000category=linear&symbol=BTCUSDT' with secret 'YYYY…' (24 Y)
    assert signed.headers == {
        "X-BAPI-API-KEY": "XXXXXXXXXX", "X-BAPI-TIMESTAMP": "1700000000123", "X-BAPI-RECV-WINDOW": "5000",
        "X-BAPI-SIGN": "b9c4893f8a4dff76428ba7e7a4c66864345a423eb31c51d42be2f86f154a2323"}
    assert signed.query == "category=linear&symbol=BTCUSDT" and signed.body == ""


def test_okx_v5_signer_signs_iso_timestamp_method_path_query_and_body() -> None:
    signer = OkxSigner(Secret("okx-test-key-1"), Secret("okx-test-secret-000"), Secret("okx-passphrase-1"))
    signed = signer.sign("get", "/api/v5/account/positions", {"instType": "SWAP"}, "", AT)
    # openssl: '2023-11-14T22:13:20.123ZGET/api/v5/account/positions?instType=SWAP', base64 of the digest
    assert signed.headers == {
        "OK-ACCESS-KEY": "okx-test-key-1", "OK-ACCESS-SIGN": "nvc7jL/ZYY/xQR5uNbyfa7dLTwKXdh0vsouTEFW2Feo=",
        "OK-ACCESS-TIMESTAMP": "2023-11-14T22:13:20.123Z", "OK-ACCESS-PASSPHRASE": "okx-passphrase-1"}
    assert signed.query == "instType=SWAP"


def test_okx_timestamp_is_utc_with_milliseconds_whatever_the_zone_given() -> None:
    assert iso_ms(AT.astimezone(timezone(timedelta(hours=8)))) == "2023-11-14T22:13:20.123Z"
    assert iso_ms(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01T00:00:00.000Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        iso_ms(datetime(2026, 1, 1))  # a naive time: refused


def test_no_secret_in_any_signer_or_signed_request_repr(caplog: pytest.LogCaptureFixture) -> None:
    key, secret, phrase = "KEY-visible-0001", "SECRET-hidden-0002", "PHRASE-hidden-0003"
    signers = [BinanceSigner(Secret(key), Secret(secret)), BybitSigner(Secret(key), Secret(secret)),
               OkxSigner(Secret(key), Secret(secret), Secret(phrase))]
    with caplog.at_level(logging.DEBUG):
        for s in signers:
            signed = s.sign("GET", "/p", {"a": "1"}, "", AT)
            logging.getLogger("test").debug("signer %r signed %r", s, signed)
    for text in [caplog.text, *map(repr, signers)]:
        assert key not in text and secret not in text and phrase not in text


def test_signed_headers_shown_in_a_log_line_are_masked_by_shape() -> None:
    # Not registered as secrets: the header names alone mark the values (a library logging its headers).
    signer = OkxSigner(Secret("KEY-unregistered-01"), Secret("SECRET-unregistered-02"), Secret("PHRASE-unreg-03"))
    bybit = BybitSigner(Secret("KEY-unregistered-01"), Secret("SECRET-unregistered-02"))
    for signed in (signer.sign("GET", "/p", {}, "", AT), bybit.sign("GET", "/p", {}, "", AT)):
        shown = redact(str(dict(signed.headers)))
        assert "KEY-unregistered-01" not in shown and "PHRASE-unreg-03" not in shown
        sign = signed.headers.get("OK-ACCESS-SIGN") or signed.headers["X-BAPI-SIGN"]
        assert sign not in shown
