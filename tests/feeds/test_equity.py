"""Equity, wallet and the hedge pair's liquidation, as the exchange reports them: liqwatch against the
emulator's own REST answers over 127.0.0.1 (issue 9, section 2)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import aiohttp
import pytest

from liqwatch.clock import FakeClock
from liqwatch.commands.snapshot_output import snapshot_json, snapshot_text
from liqwatch.emulator import EmulatorServer
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, Position, Side
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable
from tests.feeds.emulator_reads import binance_read, bybit_read, hyperliquid_state, okx_read
from tests.feeds.harness import running


async def _exchange_figures(http: aiohttp.ClientSession, emu: EmulatorServer, acc: dict[str, Any]
                            ) -> tuple[float, float, float]:
    """(equity, wallet, cross equity) as the emulator's REST reports them for one account."""
    if acc["exchange"] == "binance":
        body = await binance_read(http, emu, acc["name"])
        cross = float(body["totalCrossWalletBalance"]) + float(body["totalCrossUnPnl"])
        return float(body["totalMarginBalance"]), float(body["totalWalletBalance"]), cross
    if acc["exchange"] == "bybit":
        return await _bybit_figures(http, emu, acc["name"])
    if acc["exchange"] == "okx":
        return await _okx_figures(http, emu, acc["name"])
    assert acc["exchange"] == "hyperliquid", acc["exchange"]
    state = await hyperliquid_state(http, emu, acc["name"])
    value = float(state["marginSummary"]["accountValue"])
    pnl = sum(float(ap["position"]["unrealizedPnl"]) for ap in state["assetPositions"])
    return value, value - pnl, float(state["crossMarginSummary"]["accountValue"])


async def _bybit_figures(http: aiohttp.ClientSession, emu: EmulatorServer, name: str) -> tuple[float, float, float]:
    """Bybit's unified account: its equity is ``totalMarginBalance`` (USDT wallet, the borrow and accrued interest
    against it, collateral at its collateral ratio, perp PnL); less ``totalPerpUPL`` it is the wallet. The
    account's margin mode is one for all its positions (UTA 2.0): a cross account's cross equity is all of it."""
    info = await bybit_read(http, emu, name, "/v5/account/info", "")
    assert info["marginMode"] == "REGULAR_MARGIN"  # the demo's bybit-uta is cross
    (wallet,) = (await bybit_read(http, emu, name, "/v5/account/wallet-balance", "accountType=UNIFIED"))["list"]
    equity = float(wallet["totalMarginBalance"])
    return equity, equity - float(wallet["totalPerpUPL"]), equity


async def _okx_figures(http: aiohttp.ClientSession, emu: EmulatorServer, name: str) -> tuple[float, float, float]:
    """OKX: a multi-currency account's cross equity is ``adjEq`` (every currency at its discount rate, less
    liabilities and interest), its equity that plus the isolated positions' (``isoEq``); a single-currency
    account's equity is its USDT ``eq``, which holds ``isoEq`` besides the cross. The wallet is the equity less
    every position's ``upl``."""
    (bal,) = await okx_read(http, emu, name, "/api/v5/account/balance")
    upl = float(bal["upl"])
    iso_eq = float(bal["isoEq"] or 0.0)
    if bal["adjEq"]:
        cross = float(bal["adjEq"])
        return cross + iso_eq, cross + iso_eq - upl, cross
    usdt = next(d for d in bal["details"] if d["ccy"] == "USDT")
    equity = float(usdt["eq"])
    return equity, equity - upl, equity - iso_eq


async def test_check_json_equity_is_the_exchanges_own_for_every_demo_account() -> None:
    # A market all but still (a simulated second every 20 s): the figures are compared one account after
    # another, and binance-degen's 30x equity moves ~1 % a second in the demo's ETH slide at speed 1, so on
    # a busy machine our snapshot and the exchange's later answer were seconds of slide apart.
    async with running(speed=0.05) as env, aiohttp.ClientSession() as http:
        assert await env.monitor.wait_live(15)
        doc = snapshot_json(env.monitor.store.snapshot())
        assert {a["name"] for a in doc["accounts"]} >= {"binance-degen", "binance-hedge", "hl-isolated"}
        for acc in doc["accounts"]:
            equity, wallet, cross = await _exchange_figures(http, env.emu, acc)
            where = f"{acc['name']}: ours {acc['margin_balance']}, the exchange's {equity}"
            assert acc["margin_balance"] == pytest.approx(equity, rel=0.01), where  # marks move: 1 %
            assert acc["wallet_balance"] == pytest.approx(wallet, rel=0.01), acc["name"]
            assert acc["cross_margin_balance"] == pytest.approx(cross, rel=0.01), acc["name"]
            # The exchange's own figure is carried, and ours agrees with it at its snapshot.
            assert acc["exchange_margin_balance"] == pytest.approx(equity, rel=0.01), acc["name"]
            assert acc["margin_balance_differs"] is False, acc["name"]
        degen = next(a for a in doc["accounts"] if a["name"] == "binance-degen")
        # 300 cross + 960 isolated: the isolated wallet counts in the equity, not in the cross figures.
        assert degen["cross_wallet_balance"] == pytest.approx(300.0)
        assert degen["wallet_balance"] == pytest.approx(1_260.0)


async def test_hedge_legs_show_the_pairs_liquidation_measured_where_the_account_loses() -> None:
    async with running(only=("binance-hedge",)) as env:
        assert await env.monitor.wait_live(15)
        doc = snapshot_json(env.monitor.store.snapshot())
        (acc,) = doc["accounts"]
        btc = {p["side"]: p for p in acc["positions"] if p["symbol"] == "BTC/USDT:USDT"}
        sol = next(p for p in acc["positions"] if p["symbol"] == "SOL/USDT:USDT")
        assert {p["liquidation_scope"] for p in btc.values()} == {"pair"}
        assert sol["liquidation_scope"] == "position"  # an isolated leg has its own price
        long, short = btc["long"], btc["short"]
        assert long["liquidation_price"] == short["liquidation_price"]
        # Long 0.3 against short 0.1: the pair loses when the price falls, so its price lies below the mark
        # and both legs measure the same fall to it.
        assert short["liquidation_price"] < short["mark_price"]
        assert short["distance_to_liquidation_pct"] == pytest.approx(long["distance_to_liquidation_pct"])
        expected = (short["mark_price"] - short["liquidation_price"]) / short["mark_price"] * 100
        assert short["distance_to_liquidation_pct"] == pytest.approx(expected)


async def test_roe_is_hyperliquids_return_on_equity() -> None:
    async with running(only=("hl-whale", "hl-isolated")) as env, aiohttp.ClientSession() as http:
        assert await env.monitor.wait_live(15)
        doc = snapshot_json(env.monitor.store.snapshot())
        for acc in doc["accounts"]:
            state = await hyperliquid_state(http, env.emu, acc["name"])
            reported = {ap["position"]["coin"]: ap["position"] for ap in state["assetPositions"]}
            for p in acc["positions"]:
                r = reported[p["symbol"].split("/")[0]]
                assert p["exchange_roe"] is not None
                lev = r["leverage"]["value"]
                # Same definition: uPnL over the initial margin at entry; marks move between the two reads.
                ours_at_its_mark = float(r["unrealizedPnl"]) / (abs(float(r["szi"])) * float(r["entryPx"]) / lev)
                assert ours_at_its_mark == pytest.approx(float(r["returnOnEquity"]), abs=1e-6)
                assert p["roe"] == pytest.approx(float(r["returnOnEquity"]), abs=0.02)


def _store_with_reported_equity(reported: float) -> dict[str, Any]:
    store = MonitorStore(FakeClock(datetime(2026, 5, 1, 12, tzinfo=UTC)))
    spec = AccountSpec("main", Exchange.BINANCE)
    store.add_account(spec, risk_rules(Exchange.BINANCE))
    flat = TierTable.flat(0.005)
    btc = Position("BTC/USDT:USDT", Side.LONG, 1.0, 60_000, MarginMode.CROSS, flat, leverage=10, mark_price=59_000)
    eth = Position("ETH/USDT:USDT", Side.SHORT, 2.0, 3_000, MarginMode.ISOLATED, flat, leverage=5,
                   isolated_margin=1_200, mark_price=3_100)
    # Ours at the snapshot's marks: 10,000 cross + 1,200 isolated - 1,000 - 200 = 10,000.
    store.apply(AccountState(spec, 10_000, (btc, eth), exchange_margin_balance=reported))
    snap = store.snapshot()
    doc = snapshot_json(snap)["accounts"][0]
    doc["text"] = snapshot_text(snap)
    return doc


def test_the_exchanges_equity_is_shown_beside_ours_only_when_they_differ() -> None:
    same = _store_with_reported_equity(10_000.0 + 1.0)  # within the 0.5 % tolerance
    assert same["margin_balance"] == pytest.approx(10_000.0) and same["exchange_margin_balance"] == 10_001.0
    assert same["margin_balance_differs"] is False and "(exchange" not in same["text"]
    off = _store_with_reported_equity(11_000.0)
    assert off["margin_balance_differs"] is True
    assert "equity 10,000.00 (exchange 11,000.00)" in off["text"]
