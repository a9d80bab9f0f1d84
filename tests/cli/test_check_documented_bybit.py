"""Issue 13's done-when, for Bybit: an account configured against payloads this project did not write (Bybit's
documented response examples, tests/fixtures/bybit_*_docs.json, served by tests/feeds/documented_bybit.py on
127.0.0.1, REST and both sockets) comes through ``liqwatch check --json`` in its own process.

The one linear position Bybit documents (position/list, April 2023: 100 XRPUSDT long at 0.3615, mark 0.3432,
cross, ``liqPrice`` "0.0001") sits in the documented unified wallet (margin balance 18070.33 USDT). Bybit's
cross rule (liquidation when the account's MM rate reaches 100 %) puts a long's liquidation at
entry − (margin balance − uPnL − MM) / size = 0.3615 − (18072.16 − MM) / 100 < 0 for any MM below the wallet:
no positive price liquidates it, and Bybit's "0.0001" is the price floor standing for that. Ours is then none
(``liquidation_price`` null), beside the exchange's 0.0001: the two agree that nothing above zero liquidates
it; there is no positive figure to match within a tolerance. The documented numbers are not one account's
(the wallet's totalPerpUPL is -0.11 where the position's uPnL is -1.83; its totalInitialMargin 182.60 is not
this position's 3.63), so the wallet figures are only checked to come through as sent."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.feeds.documented_bybit import DocumentedBybit, response
from tests.local_http import served
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]
(ROW,) = response("bybit_position_list_linear_docs.json")["result"]["list"]
(WALLET,) = response("bybit_wallet_balance_docs.json")["result"]["list"]


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
    assert pos["exchange_liquidation_price"] == pytest.approx(float(ROW["liqPrice"]))  # "0.0001", as sent
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
    assert account["exchange_margin_balance"] == pytest.approx(float(WALLET["totalMarginBalance"]))
    assert (rc, report["status"]) == (3, "stale"), err[-2000:]
    signed = {p for p, s in server.requests if s}
    assert {"/v5/user/query-api", "/v5/position/list", "/v5/account/wallet-balance"} <= signed


@pytest.mark.slow(3)
async def test_documented_bybit_position_through_check_with_the_tier_in_fractions(tmp_path: Path) -> None:
    server = DocumentedBybit(risk_limit_in_fractions=True)  # the one edit: "1"/"0.5" served as 0.01/0.005
    rc, report, err = await _check(tmp_path, server)
    account = _account(report)
    pos = _documented_position(account)
    assert pos["not_evaluated"] is None
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
