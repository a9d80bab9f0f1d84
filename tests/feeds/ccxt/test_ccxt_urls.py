"""``rest_url`` / ``ws_url`` move every URL of a ccxt instance's ``urls['api']`` (nested dicts, ccxt's
``{hostname}`` placeholders) to the given bases, each path kept; no network. An unknown ccxt id is named."""

from __future__ import annotations

import re
from typing import Any

import pytest

from liqwatch.feeds import ccxt_instance
from liqwatch.feeds.ccxt_instance import UnknownCcxtExchange, rewrite_urls

from .support import account

IDS = ("binanceusdm", "bybit", "okx", "hyperliquid", "krakenfutures", "bitget")
_URL = re.compile(r"^(https?|wss?)://[^/?#]*(.*)$")


def _urls(value: Any, where: str = "") -> dict[str, str]:
    """Every URL string under ``value``, by its key path."""
    if isinstance(value, dict):
        return {k: v for key, sub in value.items() for k, v in _urls(sub, f"{where}/{key}").items()}
    return {where: value} if isinstance(value, str) and _URL.match(value) else {}


@pytest.mark.parametrize("ccxt_id", IDS)
@pytest.mark.parametrize(("rest", "ws"), [("http://127.0.0.1:9", "ws://127.0.0.1:9"),
                                          ("https://proxy.test:8443/gw/", "wss://proxy.test:8443/gw-ws")])
def test_every_api_url_starts_with_its_base_and_keeps_its_path(ccxt_id: str, rest: str, ws: str) -> None:
    stock = _urls(ccxt_instance.exchange_class(ccxt_id)().urls["api"])
    ex = ccxt_instance.create_exchange(account(ccxt_id, rest, ws))
    moved = _urls(ex.urls["api"])
    assert set(moved) == set(stock) and len(stock) >= 2
    for key, url in stock.items():
        m = _URL.match(url)
        assert m is not None
        base = (ws if m.group(1).startswith("ws") else rest).rstrip("/")
        assert moved[key] == base + m.group(2), key
        assert "{hostname}" not in moved[key]
    assert any(_URL.match(u).group(1).startswith("ws") for u in stock.values())  # type: ignore[union-attr]


@pytest.mark.parametrize("ccxt_id", IDS)
def test_a_rest_base_alone_takes_the_sockets_to_the_same_host(ccxt_id: str) -> None:
    ex = ccxt_instance.create_exchange(account(ccxt_id, "https://proxy.test"))
    moved = _urls(ex.urls["api"]).values()
    assert moved and all(u.startswith(("https://proxy.test", "wss://proxy.test")) for u in moved)


def test_no_base_leaves_ccxts_own_urls() -> None:
    api = {"a": "https://api.{hostname}/v5", "ws": {"public": "wss://stream.x.com/ws"}}
    assert rewrite_urls(api, "", "") is api
    assert rewrite_urls(api, "", "ws://127.0.0.1:1") == {
        "a": "http://127.0.0.1:1/v5", "ws": {"public": "ws://127.0.0.1:1/ws"}}


def test_the_rewrite_walks_nested_values_and_leaves_other_strings() -> None:
    api = {"rest": "https://{hostname}", "n": {"m": ["https://h.com/a?x=1", "wss://h.com:443/b"]},
           "note": "not a url", "port": 443}
    assert rewrite_urls(api, "http://127.0.0.1:5/p", "ws://127.0.0.1:6") == {
        "rest": "http://127.0.0.1:5/p", "n": {"m": ["http://127.0.0.1:5/p/a?x=1", "ws://127.0.0.1:6/b"]},
        "note": "not a url", "port": 443}


@pytest.mark.parametrize(("wrong", "suggested"), [("binanceusd", "binanceusdm"), ("krakenfuture", "krakenfutures"),
                                                  ("bybitt", "bybit")])
def test_an_unknown_id_is_named_with_close_matches(wrong: str, suggested: str) -> None:
    with pytest.raises(UnknownCcxtExchange, match=f"'{wrong}'") as err:
        ccxt_instance.create_exchange(account(wrong))
    assert repr(suggested) in str(err.value)


def test_an_id_with_nothing_close_is_named_alone() -> None:
    with pytest.raises(UnknownCcxtExchange) as err:
        ccxt_instance.exchange_class("zzzzqqq")
    assert "'zzzzqqq' is not an exchange of ccxt 4." in str(err.value) and "did you mean" not in str(err.value)


def test_an_exchange_without_ccxt_pro_gets_the_async_class() -> None:
    cls = ccxt_instance.exchange_class("bigone")  # in ccxt.async_support, not in ccxt.pro (4.5.90)
    assert cls.__module__ == "ccxt.async_support.bigone"
    assert ccxt_instance.exchange_class("okx").__module__.startswith("ccxt.pro.")
