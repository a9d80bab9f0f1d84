"""Issue 14's done-when: an account configured as ``exchange = "ccxt"`` against payloads this project did not
write (the exchanges' documented response examples, tests/fixtures/*_docs.json) comes through ``liqwatch check
--json`` in its own process with the exchange's liquidation price, and every request stock ccxt made is on
``ccxt_allowlist.EXACT_REQUESTS`` for its id. What each server adds to the documented answers (what ccxt asks
that no example covers) is marked OURS in tests/cli/documented_ccxt.py.

Bybit: the one linear position Bybit documents (100 XRPUSDT long at 0.3615, mark 0.3432, ``liqPrice`` "0.0001")
in the documented unified wallet. "0.0001" is XRPUSDT's price floor (priceFilter.minPrice), Bybit's way of
saying no positive price liquidates it (tests/cli/test_check_documented_bybit.py works the numbers), so the
exchange's liquidation price is none once the floor is known (XRPUSDT_INSTRUMENT, that test's marked edit: the
documented instruments-info lists BTCUSDT only), and kept as sent while it is not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from liqwatch.feeds.ccxt_allowlist import EXACT_REQUESTS
from tests.cli.documented_ccxt import bybit_app, documented, run_check
from tests.cli.test_check_documented_bybit import XRPUSDT_INSTRUMENT

BYBIT_DOCS = "Bybit v5 API docs"
(BYBIT_ROW,) = documented("bybit_position_list_linear_docs.json", BYBIT_DOCS)["result"]["list"]
(BYBIT_WALLET,) = documented("bybit_wallet_balance_docs.json", BYBIT_DOCS)["result"]["list"]
BYBIT_ACCOUNT = ('name = "bybit-docs"\nexchange = "ccxt"\nccxt_id = "bybit"\napi_key_env = "DOCS_BYBIT_KEY"\n'
                 'api_secret_env = "DOCS_BYBIT_SECRET"\nrest_url = "{rest}"\nws_url = "{ws}"\n')
#: The key of Bybit's documented apikey-info example (its secret is not shown there: any will do, the server
#: does not check signatures).
BYBIT_ENV = {"DOCS_BYBIT_KEY": "XXXXXXXX", "DOCS_BYBIT_SECRET": "documented-example-secret"}


def _only_listed(ccxt_id: str, seen: list[tuple[str, str]]) -> set[str]:
    """Every REST request on the id's exact list; returns the socket paths dialled."""
    rest = {r for r in seen if r[0] != "WS"}
    assert rest, "no request reached the server"
    assert rest <= EXACT_REQUESTS[ccxt_id], sorted(rest - EXACT_REQUESTS[ccxt_id])
    return {path for method, path in seen if method == "WS"}


def _generic_account(report: dict[str, Any], name: str, ccxt_id: str) -> dict[str, Any]:
    (account,) = report["accounts"]
    assert (account["name"], account["exchange"]) == (name, f"ccxt:{ccxt_id}")
    assert "disabled" not in account, account.get("disabled")
    return account


def _bybit_position(account: dict[str, Any]) -> dict[str, Any]:
    (pos,) = account["positions"]
    assert (pos["symbol"], pos["side"], pos["state"]) == ("XRP/USDT:USDT", "long", "open")
    assert pos["size"] == pytest.approx(float(BYBIT_ROW["size"]))
    assert pos["entry_price"] == pytest.approx(float(BYBIT_ROW["avgPrice"]))
    assert pos["mark_price"] == pytest.approx(float(BYBIT_ROW["markPrice"]))
    return pos


@pytest.mark.slow(3)
async def test_documented_bybit_through_ccxt_check_liquidation_price_none_at_the_floor(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    rc, report, err = await run_check(tmp_path, bybit_app(seen, (XRPUSDT_INSTRUMENT,)), BYBIT_ACCOUNT, BYBIT_ENV)
    account = _generic_account(report, "bybit-docs", "bybit")
    pos = _bybit_position(account)
    assert BYBIT_ROW["liqPrice"] == XRPUSDT_INSTRUMENT["priceFilter"]["minPrice"]  # type: ignore[index]
    assert pos["exchange_liquidation_price"] is None  # Bybit's floor: the exchange gives none
    assert account["exchange_margin_balance"] == pytest.approx(float(BYBIT_WALLET["totalMarginBalance"]))
    assert _only_listed("bybit", seen) == {"/v5/public/linear", "/v5/private"}
    assert {("GET", "/v5/position/list"), ("GET", "/v5/account/wallet-balance"),
            ("GET", "/v5/user/query-api")} <= set(seen)
    assert (rc, report["status"]) == (0, "ok"), err[-3000:]


@pytest.mark.slow(3)
async def test_documented_bybit_through_ccxt_check_floor_unknown_liquidation_price_as_sent(tmp_path: Path) -> None:
    # Verbatim instruments-info (BTCUSDT only): ccxt has no XRPUSDT market, the floor is unknown.
    seen: list[tuple[str, str]] = []
    rc, report, err = await run_check(tmp_path, bybit_app(seen), BYBIT_ACCOUNT, BYBIT_ENV)
    account = _generic_account(report, "bybit-docs", "bybit")
    pos = _bybit_position(account)
    assert pos["exchange_liquidation_price"] == pytest.approx(float(BYBIT_ROW["liqPrice"]))
    _only_listed("bybit", seen)
