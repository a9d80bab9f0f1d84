"""Issue 10 (review): the key's permissions are asked of Binance's wallet host (``/sapi`` lives on the spot
host, not on fapi's). The account's ``rest_url`` is compared normalised: an uppercase host, an explicit
``:443`` or a trailing slash is still the USDⓈ-M host, whose keys are checked on ``https://api.binance.com``
(before, such a URL sent the check to fapi's own host, which answers 404: the key, even one that can
withdraw, was watched after a mere warning). A Binance host with no known wallet host is never called
"checked": the account carries a warning saying its permissions were not checked."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest

from liqwatch.clock import FakeClock
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.feeds.binance import BinanceAdapter
from liqwatch.feeds.key_permissions import binance_wallet_base
from liqwatch.model import AccountSpec, Exchange
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore


def watched_store() -> MonitorStore:
    store = MonitorStore(FakeClock(datetime(2026, 5, 1, tzinfo=UTC)))
    store.add_account(AccountSpec("binance-main", Exchange.BINANCE), risk_rules(Exchange.BINANCE))
    return store


def adapter(rest_url: str, session: aiohttp.ClientSession, store: MonitorStore) -> BinanceAdapter:
    account = FeedAccount("binance-main", Exchange.BINANCE, rest_url, "wss://fstream.binance.com",
                          api_key=Secret("k" * 64), api_secret=Secret("s" * 64))
    return BinanceAdapter(account, store, session, FakeClock(datetime(2026, 5, 1, tzinfo=UTC)))


@pytest.mark.parametrize("rest_url", ["https://fapi.binance.com", "https://FAPI.Binance.com",
                                      "https://fapi.binance.com:443", "https://fapi.binance.com/",
                                      "HTTPS://fapi.binance.com.:443/", " https://fapi.binance.com "])
async def test_the_usdm_host_written_any_way_is_checked_on_the_wallet_host(rest_url: str) -> None:
    async with aiohttp.ClientSession() as session:
        assert adapter(rest_url, session, watched_store())._wallet_base() == "https://api.binance.com"


def test_other_hosts() -> None:
    # A proxy or the emulator is asked itself (its answer says whether it serves the endpoint), normalised.
    assert binance_wallet_base("http://127.0.0.1:8080/") == "http://127.0.0.1:8080"
    assert binance_wallet_base("https://Proxy.example:443") == "https://proxy.example"
    assert binance_wallet_base("http://[::1]:9000") == "http://[::1]:9000"
    # fapi on another port is not Binance's USDⓈ-M API; a Binance host liqwatch has no wallet host for.
    for url in ("https://fapi.binance.com:8443", "https://testnet.binancefuture.com", "https://fapi1.binance.com",
                "https://fapi.binance.com/extra"):
        assert binance_wallet_base(url) is None, url


async def test_a_binance_host_with_no_known_wallet_host_is_never_called_checked() -> None:
    store = watched_store()
    async with aiohttp.ClientSession() as session:
        # No request goes out (none could reach that host here): the warning says the key was not checked.
        await adapter("https://testnet.binancefuture.com", session, store)._check_key()
    (warning,) = store.snapshot().account("binance-main").warnings
    assert "not checked" in warning and "testnet.binancefuture.com" in warning and "read-only" in warning
