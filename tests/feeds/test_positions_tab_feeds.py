"""The positions tab's figures as the exchange reports them, against the emulator over 127.0.0.1 (issue 12,
"What traders look for"): Binance's own break-even price, free margin (availableBalance) and withdrawable
amount (maxWithdrawAmount), Hyperliquid's withdrawable, Bybit's break-even price and totalAvailableBalance,
OKX's bePx and available equity, ours beside them, and the totals per currency, all in ``check --json``."""

from __future__ import annotations

import aiohttp
import pytest

from liqwatch.commands.snapshot_output import snapshot_json
from tests.feeds.emulator_reads import binance_read, bybit_read, hyperliquid_state, okx_read
from tests.feeds.harness import running


async def test_check_json_carries_the_exchanges_break_even_free_margin_and_withdrawable() -> None:
    # A market all but still, as in test_equity: the figures are compared one account after another.
    async with running(speed=0.05) as env, aiohttp.ClientSession() as http:
        assert await env.monitor.wait_live(15)
        doc = snapshot_json(env.monitor.store.snapshot())
        seen = set()
        for acc in doc["accounts"]:
            where = acc["name"]
            if acc["exchange"] == "binance":
                rows = await binance_read(http, env.emu, acc["name"], "/fapi/v2/positionRisk")
                body = await binance_read(http, env.emu, acc["name"], "/fapi/v2/account")
                reported = {(r["symbol"], float(r["positionAmt"]) > 0): r for r in rows if float(r["positionAmt"])}
                for p in acc["positions"]:
                    r = reported[(p["symbol"].split("/")[0] + "USDT", p["side"] == "long")]
                    # Binance's own figure, which is not the entry price (the commission is in its cost).
                    assert p["break_even_price"] == pytest.approx(float(r["breakEvenPrice"]), rel=1e-9), where
                    assert p["break_even_price"] != pytest.approx(p["entry_price"], rel=1e-6), where
                    assert p["break_even_source"] == "exchange"
                available, withdraw = float(body["availableBalance"]), float(body["maxWithdrawAmount"])
                assert acc["exchange_available_balance"] == pytest.approx(available, rel=0.01, abs=0.5), where
                assert acc["exchange_withdrawable"] == pytest.approx(withdraw, rel=0.01, abs=0.5), where
            elif acc["exchange"] == "bybit":
                rows = (await bybit_read(http, env.emu, acc["name"], "/v5/position/list",
                                         "category=linear&settleCoin=USDT"))["list"]
                (wallet,) = (await bybit_read(http, env.emu, acc["name"], "/v5/account/wallet-balance",
                                              "accountType=UNIFIED"))["list"]
                reported = {(r["symbol"], r["side"] == "Buy"): r for r in rows if float(r["size"])}
                for p in acc["positions"]:
                    r = reported[(p["symbol"].split("/")[0] + "USDT", p["side"] == "long")]
                    assert p["break_even_price"] == pytest.approx(float(r["breakEvenPrice"]), rel=1e-9), where
                    assert p["break_even_source"] == "exchange"
                # Bybit's free margin is totalAvailableBalance; a unified account reports no withdrawable
                # amount of its own (the coin's availableToWithdraw is empty there).
                available = float(wallet["totalAvailableBalance"])
                assert acc["exchange_available_balance"] == pytest.approx(available, rel=0.01, abs=0.5), where
                assert acc["exchange_withdrawable"] is None
            elif acc["exchange"] == "okx":
                rows = await okx_read(http, env.emu, acc["name"], "/api/v5/account/positions")
                (bal,) = await okx_read(http, env.emu, acc["name"], "/api/v5/account/balance")
                reported = {(r["instId"], float(r["pos"]) > 0): r for r in rows if float(r["pos"])}
                for p in acc["positions"]:
                    base, quote = p["symbol"].split(":")[0].split("/")
                    r = reported[(f"{base}-{quote}-SWAP", p["side"] == "long")]
                    assert p["break_even_price"] == pytest.approx(float(r["bePx"]), rel=1e-9), where
                    assert p["break_even_source"] == "exchange"
                # OKX reports no free margin of the account (availEq is per currency) and no withdrawable
                # amount on account/balance, so none is carried; ours is checked against OKX's own figures:
                # the USDT availEq of a single-currency account, adjEq less the initial margin (imr) of a
                # multi-currency one.
                assert acc["exchange_available_balance"] is None and acc["exchange_withdrawable"] is None, where
                if bal["adjEq"]:
                    available = float(bal["adjEq"]) - float(bal["imr"])
                else:
                    available = float(next(d for d in bal["details"] if d["ccy"] == "USDT")["availEq"])
            else:
                assert acc["exchange"] == "hyperliquid", where
                state = await hyperliquid_state(http, env.emu, acc["name"])
                available = float(state["withdrawable"])
                assert acc["exchange_available_balance"] is None  # Hyperliquid reports withdrawable only
                assert acc["exchange_withdrawable"] == pytest.approx(available, rel=0.01, abs=0.5), where
                # None reported: ours, from the account's own taker rate (userFees), to open and to close.
                fees = await hyperliquid_state(http, env.emu, acc["name"], "userFees")
                rate = float(fees["userCrossRate"])
                assert rate > 0
                for p in acc["positions"]:
                    s = 1.0 if p["side"] == "long" else -1.0
                    expected = p["entry_price"] * (1.0 + s * rate) / (1.0 - s * rate)
                    assert p["break_even_price"] == pytest.approx(expected, rel=1e-12), where
                    assert p["break_even_source"] == "fees", where
            # Ours, the exchange's definition, agrees with its figure at its snapshot, and now within the move.
            assert acc["available_balance_differs"] is False, where
            assert acc["available_balance"] == pytest.approx(available, rel=0.02, abs=1.0), where
            notional = sum(abs(p["size"]) * p["mark_price"] for p in acc["positions"])
            assert acc["notional"] == pytest.approx(notional, rel=1e-9), where
            assert acc["effective_leverage"] == pytest.approx(notional / acc["margin_balance"], rel=1e-9), where
            for p in acc["positions"]:
                expected = p["distance_to_liquidation_pct"] / 100 * p["mark_price"]
                assert p["liquidation_distance"] == pytest.approx(expected, rel=1e-9), (where, p["symbol"])
            seen.add(acc["exchange"])
        assert seen == {"binance", "hyperliquid", "bybit", "okx"}
        # One totals row per settle currency: Binance's, Bybit's and OKX's USDT and Hyperliquid's USDC are never
        # added together.
        by_currency = {t["currency"]: t for t in doc["totals"]}
        assert set(by_currency) == {"USDT", "USDC"}
        for currency, exchanges in (("USDT", {"binance", "bybit", "okx"}), ("USDC", {"hyperliquid"})):
            accounts = [a for a in doc["accounts"] if a["exchange"] in exchanges]
            t = by_currency[currency]
            assert sorted(t["accounts"]) == sorted(a["name"] for a in accounts)
            assert t["equity"] == pytest.approx(sum(a["margin_balance"] for a in accounts))
            assert t["notional"] == pytest.approx(sum(a["notional"] for a in accounts))
            assert t["funding_today"] == pytest.approx(sum(a["funding_today"] for a in accounts))
