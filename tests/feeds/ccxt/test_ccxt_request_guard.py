"""The (method, path) check every request of a ccxt instance passes (no ccxt needed): exact lists for the four
exchanges the emulator speaks, GET-only with funds-moving paths refused for any other id."""

from __future__ import annotations

import pytest

from liqwatch.feeds.ccxt_allowlist import EXACT_REQUESTS, KEY_PERMISSION_METHODS, READ_METHODS
from liqwatch.feeds.ccxt_guard import RequestGuard
from liqwatch.feeds.rest import ForbiddenEndpoint

BASE = "https://host.test"
#: The writes ccxt's create_order, cancel_order, set_leverage, transfer and withdraw send on these four.
WRITES = {
    "binanceusdm": [("POST", "/fapi/v1/order"), ("DELETE", "/fapi/v1/order"), ("POST", "/fapi/v1/leverage"),
                    ("POST", "/fapi/v1/marginType"), ("POST", "/sapi/v1/asset/transfer"),
                    ("POST", "/sapi/v1/capital/withdraw/apply"), ("DELETE", "/fapi/v1/listenKey")],
    "bybit": [("POST", "/v5/order/create"), ("POST", "/v5/order/cancel"), ("POST", "/v5/position/set-leverage"),
              ("POST", "/v5/asset/transfer/inter-transfer"), ("POST", "/v5/asset/withdraw/create")],
    "okx": [("POST", "/api/v5/trade/order"), ("POST", "/api/v5/trade/cancel-order"),
            ("POST", "/api/v5/account/set-leverage"), ("POST", "/api/v5/asset/transfer"),
            ("POST", "/api/v5/asset/withdrawal")],
    "hyperliquid": [("POST", "/exchange"), ("GET", "/info")],
}


@pytest.mark.parametrize("ccxt_id", sorted(EXACT_REQUESTS))
def test_an_exact_list_allows_its_pairs_and_nothing_near_them(ccxt_id: str) -> None:
    guard = RequestGuard(ccxt_id)
    allowed = EXACT_REQUESTS[ccxt_id]
    for method, path in allowed:
        guard.check(method, f"{BASE}{path}?timestamp=1&signature=abc")
        guard.check(method.lower(), BASE + path)
    near = [(m, p) for _, p in allowed for m in ("GET", "POST", "PUT", "DELETE", "PATCH") if (m, p) not in allowed]
    near += [(m, v) for m, p in allowed for v in (p + "/", p.upper(), p + "/../order", "/x" + p,
                                                  p.replace("/", "/%2F", 1))]
    for method, path in [*near, *WRITES[ccxt_id]]:
        with pytest.raises(ForbiddenEndpoint, match="refused before sending"):
            guard.check(method, BASE + path)


def test_the_refusal_shows_no_query() -> None:
    with pytest.raises(ForbiddenEndpoint) as err:
        RequestGuard("binanceusdm").check("POST", f"{BASE}/fapi/v1/order?symbol=X&signature=deadbeef1234")
    assert "signature" not in str(err.value) and "deadbeef" not in str(err.value)
    assert "POST /fapi/v1/order" in str(err.value)


def test_a_proxy_path_prefix_is_taken_off_before_the_check() -> None:
    guard = RequestGuard("okx", ("/gw/okx/",))
    guard.check("GET", "https://proxy.test/gw/okx/api/v5/account/positions")
    with pytest.raises(ForbiddenEndpoint):
        guard.check("POST", "https://proxy.test/gw/okx/api/v5/trade/order")
    with pytest.raises(ForbiddenEndpoint):  # the prefix only: not a listed path below it
        guard.check("GET", "https://proxy.test/gw/okxapi/v5/account/positions")


@pytest.mark.parametrize("ccxt_id", ["krakenfutures", "bitget", "gate"])
def test_another_id_reads_by_get_only(ccxt_id: str) -> None:
    guard = RequestGuard(ccxt_id)
    guard.check("GET", f"{BASE}/derivatives/api/v3/openpositions")
    guard.check("GET", f"{BASE}/api/v2/mix/account/accounts?productType=USDT-FUTURES")
    for method in ("POST", "PUT", "DELETE", "PATCH"):
        with pytest.raises(ForbiddenEndpoint, match="only GET"):  # a read's path, but not a GET
            guard.check(method, f"{BASE}/derivatives/api/v3/accounts")
    for path in ("/api/v2/spot/wallet/withdrawal", "/api/v2/spot/wallet/Transfer", "/w/with%64raw",
                 "/api/v2/mix/order/place-order", "/api/v2/private/buy", "/api/v2/private/close_position",
                 "/api/v2/private/setLeverage", "/x/cancelAll", "/x/%62uy"):
        with pytest.raises(ForbiddenEndpoint, match="a write; refused"):
            guard.check("GET", BASE + path)


def test_the_reads_of_other_exchanges_pass_the_default_policy() -> None:
    """Paths ccxt's reads use on a few exchanges without an exact list (from ccxt's API tables): none is taken
    for a write by the word check."""
    guard = RequestGuard("any")
    for path in ("/derivatives/api/v3/openpositions", "/derivatives/api/v3/accounts", "/derivatives/api/v3/tickers",
                 "/api/v2/mix/position/all-position", "/api/v2/mix/account/accounts", "/api/v2/mix/market/tickers",
                 "/api/v2/mix/market/current-fund-rate", "/api/v4/futures/usdt/positions",
                 "/api/v4/futures/usdt/accounts", "/api/v1/account-overview", "/api/v1/contracts/active",
                 "/openApi/swap/v2/user/positions", "/openApi/swap/v2/quote/premiumIndex",
                 "/api/v1/private/position/open_positions", "/api/v2/private/get_positions",
                 "/api/v2/private/get_account_summary", "/api/v2/public/get_instruments"):
        guard.check("GET", BASE + path)


def test_the_read_list_names_no_write() -> None:
    writes = ("create", "cancel", "edit", "set_", "transfer", "withdraw", "borrow", "repay", "add_margin",
              "reduce_margin", "close_position", "close_all")
    assert not [m for m in READ_METHODS if any(w in m for w in writes)]
    assert all(name.startswith(("sapiGet", "privateGet")) for name in KEY_PERMISSION_METHODS.values())
