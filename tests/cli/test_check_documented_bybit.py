"""Issue 13's done-when, for Bybit: an account configured against payloads this project did not write (Bybit's
documented response examples, tests/fixtures/bybit_*_docs.json, served by tests/feeds/documented_bybit.py on
127.0.0.1, REST and both sockets) comes through ``liqwatch check --json`` in its own process.

The one linear position Bybit documents (position/list, April 2023: 100 XRPUSDT long at 0.3615, mark 0.3432,
cross, ``liqPrice`` "0.0001") sits in the documented unified wallet (margin balance 18070.33 USDT). Bybit's
cross rule (liquidation when the account's MM rate reaches 100 %) puts a long's liquidation at
entry − (margin balance − uPnL − MM) / size = 0.3615 − (18072.16 − MM) / 100 < 0 for any MM below the wallet:
no positive price liquidates it, and Bybit's "0.0001" is the price floor standing for that (XRPUSDT's
priceFilter.minPrice; since 2023-07-31 Bybit sends "" there). Ours is then none (``liquidation_price`` null),
and, once instruments-info gives XRPUSDT's minPrice, so is the exchange's (``exchange_liquidation_price``
null): the two agree, and no "exch" figure is shown as if they did not. Bybit's documented instruments-info
example lists BTCUSDT only, and no documented example in bybit-exchange/docs (its whole history searched)
gives XRPUSDT's priceFilter: the XRPUSDT row served for that (``XRPUSDT_INSTRUMENT``) is our edit. Served
verbatim, XRPUSDT's bounds are unknown and Bybit's 0.0001 is kept as sent. The documented numbers are not one account's
(the wallet's totalPerpUPL is -0.11 where the position's uPnL is -1.83; its totalInitialMargin 182.60 is not
this position's 3.63), so the wallet figures are only checked to come through as sent."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from liqwatch.clock import SystemClock
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.feeds.bybit import BybitAdapter
from liqwatch.model import AccountSpec, Exchange
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from tests.feeds.documented_bybit import DocumentedBybit, response
from tests.local_http import served
from tests.tui_command import tui_argv
from widgets.position_rows import COLUMNS, position_entries

ROOT = Path(__file__).resolve().parents[2]
(ROW,) = response("bybit_position_list_linear_docs.json")["result"]["list"]
(WALLET,) = response("bybit_wallet_balance_docs.json")["result"]["list"]
#: OUR EDIT, not a documented example: XRPUSDT's instruments-info row, only the fields the adapter reads of it
#: (priceFilter.minPrice and tickSize "0.0001", the values Bybit uses for XRPUSDT; no maxPrice given: a long
#: needs only the floor). Served after the documented BTCUSDT row.
XRPUSDT_INSTRUMENT = {"symbol": "XRPUSDT", "contractType": "LinearPerpetual", "status": "Trading", "baseCoin": "XRP",
                      "quoteCoin": "USDT", "settleCoin": "USDT", "priceScale": "4",
                      "priceFilter": {"minPrice": "0.0001", "tickSize": "0.0001"}}


async def _check(tmp_path: Path, server: DocumentedBybit) -> tuple[int, dict[str, Any], str]:
    async with asyncio.timeout(60), served(server.app) as base:
        env = dict(os.environ, XDG_DATA_HOME=str(tmp_path / "data"), XDG_CONFIG_HOME=str(tmp_path / "config"),
                   DOCS_BYBIT_KEY="XXXXXXXX", DOCS_BYBIT_SECRET="documented-example-secret")
        cfg = tmp_path / "config.toml"
        cfg.write_text(f'[[accounts]]\nname = "bybit-docs"\nexchange = "bybit"\napi_key_env = "DOCS_BYBIT_KEY"\n'
                       f'api_secret_env = "DOCS_BYBIT_SECRET"\nrest_url = "{base}"\n'
                       f'ws_url = "{base.replace("http://", "ws://")}"\n', encoding="utf-8")
        proc = await asyncio.create_subprocess_exec(
            *tui_argv(), "check", "--config", str(cfg), "--json", "--timeout", "10",
            cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await proc.communicate()
    assert proc.returncode is not None and out, err.decode()[-2000:]
    return proc.returncode, json.loads(out), err.decode()


def _account(report: dict[str, Any]) -> dict[str, Any]:
    (account,) = report["accounts"]
    assert account["name"] == "bybit-docs" and "disabled" not in account
    assert all(f["state"] == "LIVE" for f in report["feeds"])  # REST and both sockets, on Bybit's examples
    return account


def _documented_position(account: dict[str, Any]) -> dict[str, Any]:
    (pos,) = account["positions"]
    assert (pos["symbol"], pos["side"], pos["state"]) == ("XRP/USDT:USDT", "long", "open")
    assert pos["size"] == pytest.approx(float(ROW["size"]))
    assert pos["entry_price"] == pytest.approx(float(ROW["avgPrice"]))
    assert pos["mark_price"] == pytest.approx(float(ROW["markPrice"]))
    assert ROW["liqPrice"] == XRPUSDT_INSTRUMENT["priceFilter"]["minPrice"]  # type: ignore[index]  # the floor
    return pos


@pytest.mark.slow(3)
async def test_documented_bybit_position_comes_through_check_not_evaluated_on_percent_risk_limits(
        tmp_path: Path) -> None:
    # Verbatim, the risk-limit example's rates are in percent (initialMargin "1" beside maxLeverage 100): the
    # adapter refuses that tier rather than read "0.5" as a 50 % maintenance rate, so the position is listed
    # as documented, not evaluated, and check says the account's figures are not all known (exit 3).
    server = DocumentedBybit()
    rc, report, err = await _check(tmp_path, server)
    account = _account(report)
    pos = _documented_position(account)
    assert pos["not_evaluated"] == "no risk-limit tiers" and pos["liquidation_price"] is None
    # Verbatim, instruments-info names no XRPUSDT: its floor unknown, Bybit's "0.0001" is listed as sent.
    assert pos["exchange_liquidation_price"] == pytest.approx(float(ROW["liqPrice"]))
    assert account["exchange_margin_balance"] == pytest.approx(float(WALLET["totalMarginBalance"]))
    assert (rc, report["status"]) == (3, "stale"), err[-2000:]
    signed = {p for p, s in server.requests if s}
    assert {"/v5/user/query-api", "/v5/position/list", "/v5/account/wallet-balance"} <= signed


@pytest.mark.slow(3)
async def test_documented_bybit_position_through_check_with_the_tier_in_fractions(tmp_path: Path) -> None:
    # Two edits: the tier's "1"/"0.5" served as 0.01/0.005, and XRPUSDT's instrument row (XRPUSDT_INSTRUMENT).
    server = DocumentedBybit(risk_limit_in_fractions=True, extra_instruments=(XRPUSDT_INSTRUMENT,))
    rc, report, err = await _check(tmp_path, server)
    account = _account(report)
    pos = _documented_position(account)
    assert pos["not_evaluated"] is None
    # Bybit's liqPrice "0.0001" is XRPUSDT's minPrice: the exchange gives no liquidation price, nor do we.
    assert pos["exchange_liquidation_price"] is None and pos["liquidation_price"] is None
    # Cross wallet = Bybit's margin balance less the position's uPnL (the adapter's reading of it).
    margin_balance, upnl = float(WALLET["totalMarginBalance"]), float(ROW["unrealisedPnl"])
    assert account["cross_wallet_balance"] == pytest.approx(margin_balance - upnl)
    assert pos["unrealized_pnl"] == pytest.approx(upnl)  # (0.3432 - 0.3615) x 100, Bybit's figure too
    # Bybit's rule from the payload: entry - (wallet - MM) / size, MM at 0.5 % of 36.15 plus the fee to close.
    # Ours at the served tier (0.5 %) and Bybit's default taker rate (the fee-rate example names ETHUSDT only):
    # 36.15 x 0.005 + 100 x 0.32535 (bust price, 10x) x 0.00055. The row's own positionMM, 0.381021, is
    # exactly 36.15 x 1 % + 100 x 0.32535 x 0.0006: XRPUSDT's tier is 1 %, not the BTCUSD tier the risk-limit
    # example shows, and that account's taker rate 0.06 %. The docs' examples are not one account's.
    value, bust = float(ROW["positionValue"]), float(ROW["avgPrice"]) * (1 - 1 / float(ROW["leverage"]))
    mm = account["maintenance_margin"]
    assert mm == pytest.approx(value * 0.005 + float(ROW["size"]) * bust * 0.00055)
    assert float(ROW["positionMM"]) == pytest.approx(value * 0.01 + float(ROW["size"]) * bust * 0.0006)
    closed_form = float(ROW["avgPrice"]) - (margin_balance - upnl - mm) / float(ROW["size"])
    assert closed_form < 0  # no positive price liquidates it: ours is none, Bybit's "0.0001" is its floor
    assert pos["liquidation_price"] is None
    assert (rc, report["status"]) == (0, "ok"), err[-2000:]


async def test_documented_bybit_position_in_the_positions_table_has_no_exch_figure() -> None:
    # In process (no check): the adapter's snapshot of the documented account in a store, as the table reads it.
    # Before XRPUSDT's floor was read, the row showed "exch 0.0001" in warning colour beside our none.
    clock = SystemClock()
    store = MonitorStore(clock)
    store.add_account(AccountSpec("bybit-docs", Exchange.BYBIT), risk_rules(Exchange.BYBIT))
    server = DocumentedBybit(risk_limit_in_fractions=True, extra_instruments=(XRPUSDT_INSTRUMENT,))
    async with asyncio.timeout(30), served(server.app) as base, aiohttp.ClientSession() as session:
        account = FeedAccount("bybit-docs", Exchange.BYBIT, base, base.replace("http://", "ws://"),
                              api_key=Secret("XXXXXXXX"), api_secret=Secret("documented-example-secret"))
        adapter = BybitAdapter(account, store, session, clock)
        await adapter.bootstrap()
        store.apply(await adapter.fetch_snapshot())
    (entry,) = position_entries(store.snapshot())
    cells = dict(zip((c.key for c in COLUMNS), entry.cells, strict=True))
    assert cells["exch_liq"][0] == ""
