"""Stock ccxt (async_support and ccxt.pro) parses what the emulator serves: the independent witness that the
emulator speaks the exchanges' real protocols."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.emulator import EmulatorServer

from .helpers import (
    ADDR_A,
    KEY_A,
    KEY_B,
    LIMIT_S,
    SECRET_A,
    SECRET_B,
    binance_ccxt,
    hyperliquid_ccxt,
    wait_for_conn,
    wait_for_subscription,
)

CALLS = ("fetchPositions", "fetchBalance", "fetchFundingRate", "fetchLeverageTiers", "watchMarkPrice", "watchPositions")


def test_which_calls_ccxt_marks_available() -> None:
    import ccxt.pro as ccxtpro

    b = ccxtpro.binanceusdm()
    h = ccxtpro.hyperliquid()
    assert {c: bool(b.has.get(c)) for c in CALLS} == dict.fromkeys(CALLS, True)
    # Hyperliquid has no leverage tiers and no mark-price stream in ccxt; its mark comes through watch_ticker.
    assert not h.has.get("fetchLeverageTiers")
    assert not h.has.get("watchMarkPrice")
    assert h.has["watchTicker"] and h.has["watchPositions"] and h.has["fetchPositions"]


async def test_binance_rest_calls_parse(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = binance_ccxt(emu, KEY_A, SECRET_A)
        try:
            markets = await ex.load_markets()
            assert set(markets) == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
            btc = markets["BTC/USDT:USDT"]
            assert btc["swap"] and btc["linear"] and btc["id"] == "BTCUSDT" and btc["precision"]["price"] == 0.01

            positions = {p["symbol"]: p for p in await ex.fetch_positions()}
            assert set(positions) == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
            p = positions["BTC/USDT:USDT"]
            assert (p["side"], p["contracts"], p["entryPrice"], p["marginMode"], p["hedged"]) == (
                "long",
                0.5,
                59000.0,
                "cross",
                False,
            )
            assert p["markPrice"] == emu.market.binance["BTCUSDT"].mark
            assert p["liquidationPrice"] == pytest.approx(emu.liquidation_price("alice", "BTCUSDT"), rel=1e-9)
            assert p["maintenanceMarginPercentage"] == 0.004
            iso = positions["ETH/USDT:USDT"]
            assert iso["marginMode"] == "isolated" and iso["collateral"] == pytest.approx(1500.0)
            assert iso["liquidationPrice"] == pytest.approx(emu.liquidation_price("alice", "ETHUSDT"), rel=1e-9)

            balance = await ex.fetch_balance()
            account = emu.sim.binance_accounts["alice"]
            assert balance["USDT"]["total"] == pytest.approx(
                account.wallet_balance() + 0.5 * (emu.market.binance["BTCUSDT"].mark - 59000.0)
            )
            assert balance["USDT"]["free"] is not None and balance["USDT"]["used"] > 0

            rate = await ex.fetch_funding_rate("BTC/USDT:USDT")
            m = emu.market.binance["BTCUSDT"]
            assert rate["fundingRate"] == pytest.approx(m.funding_rate, abs=1e-8)
            assert rate["markPrice"] == m.mark and rate["indexPrice"] == m.index
            assert rate["fundingTimestamp"] == emu.sim.next_funding_ms(m)

            tiers = await ex.fetch_leverage_tiers(["BTC/USDT:USDT"])
            rows = tiers["BTC/USDT:USDT"]
            assert [(t["minNotional"], t["maintenanceMarginRate"], t["maxLeverage"]) for t in rows[:3]] == [
                (0.0, 0.004, 125.0),
                (50000.0, 0.005, 100.0),
                (600000.0, 0.0065, 75.0),
            ]
            assert rows[1]["info"]["cum"] == 50.0
        finally:
            await ex.close()


async def test_binance_load_markets_with_keys_and_default_options(emu: EmulatorServer) -> None:
    """Without options.fetchCurrencies=False ccxt first asks /sapi for currencies; the emulator answers."""
    import ccxt.pro as ccxtpro

    from .helpers import external_urls, localize

    async with asyncio.timeout(LIMIT_S):
        ex = ccxtpro.binanceusdm({"apiKey": KEY_A, "secret": SECRET_A, "enableRateLimit": False})
        ex.urls["api"] = localize(ex.urls["api"], emu.rest_url, emu.ws_url)
        assert external_urls(ex.urls["api"]) == []
        try:
            markets = await ex.load_markets()
            assert "BTC/USDT:USDT" in markets and "USDT" in ex.currencies
        finally:
            await ex.close()


async def test_binance_hedge_positions_share_a_cross_liquidation_price(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = binance_ccxt(emu, KEY_B, SECRET_B)
        try:
            legs = {p["side"]: p for p in await ex.fetch_positions()}
            assert set(legs) == {"long", "short"}
            assert legs["long"]["hedged"] and legs["short"]["hedged"]
            assert legs["long"]["liquidationPrice"] == legs["short"]["liquidationPrice"]
            assert legs["long"]["liquidationPrice"] == pytest.approx(
                emu.liquidation_price("bob", "BTCUSDT", "LONG"), rel=1e-9
            )
        finally:
            await ex.close()


async def test_binance_watch_mark_price(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = binance_ccxt(emu, KEY_A, SECRET_A)
        try:
            task = asyncio.create_task(ex.watch_mark_price("BTC/USDT:USDT"))
            await wait_for_subscription(emu)
            # A tick until ccxt takes one: the subscription can be acknowledged a moment before ccxt waits for
            # its messages, and a frame sent in that moment is one it never hands out (seen under load). No
            # tick follows the one that answered, so the market below is the state that frame carried.
            for _ in range(5):
                await emu.tick()
                done, _pending = await asyncio.wait({task}, timeout=1.0)
                if done:
                    break
            ticker = await asyncio.wait_for(task, 5)
            m = emu.market.binance["BTCUSDT"]
            assert ticker["symbol"] == "BTC/USDT:USDT"
            assert ticker["markPrice"] == m.mark and ticker["indexPrice"] == m.index
            assert float(ticker["info"]["r"]) == pytest.approx(m.funding_rate, abs=1e-8)
            assert [c.request.path for c in emu.hub.conns] == ["/market/ws/0"]  # ccxt's routed market URL
        finally:
            await ex.close()


async def test_binance_watch_positions_snapshot_then_stream(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = binance_ccxt(emu, KEY_A, SECRET_A)
        try:
            snapshot = await asyncio.wait_for(ex.watch_positions(), 5)
            assert {p["symbol"] for p in snapshot} == {"BTC/USDT:USDT", "ETH/USDT:USDT"}
            assert all(p["liquidationPrice"] is not None for p in snapshot)
            task = asyncio.create_task(ex.watch_positions())
            await wait_for_conn(emu, "binance-user")
            # The scenario starts ten seconds before 08:00 UTC: funding settles and ACCOUNT_UPDATE carries
            # the isolated ETH position (Binance pushes no position for cross funding).
            await emu.tick(10)
            update = await asyncio.wait_for(task, 5)
            assert [(p["symbol"], p["side"], p["marginMode"]) for p in update] == [
                ("ETH/USDT:USDT", "long", "isolated")
            ]
            assert update[0]["contracts"] == 10.0
            assert any(path == "/fapi/v1/listenKey" for _, path, _ in emu.requests)
        finally:
            await ex.close()


async def test_hyperliquid_rest_calls_parse(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = hyperliquid_ccxt(emu, ADDR_A)
        try:
            markets = await ex.load_markets()
            assert set(markets) == {"BTC/USDC:USDC", "ETH/USDC:USDC"}
            assert markets["BTC/USDC:USDC"]["limits"]["leverage"]["max"] == 40

            positions = {p["symbol"]: p for p in await ex.fetch_positions()}
            cross = positions["BTC/USDC:USDC"]
            assert (cross["side"], cross["contracts"], cross["marginMode"], cross["leverage"]) == (
                "long",
                0.5,
                "cross",
                10,
            )
            assert cross["markPrice"] == pytest.approx(emu.market.hyperliquid["BTC"].mark)
            assert cross["liquidationPrice"] == pytest.approx(emu.liquidation_price("carol", "BTC"), rel=1e-9)
            iso = positions["ETH/USDC:USDC"]
            assert iso["marginMode"] == "isolated"
            assert iso["liquidationPrice"] == pytest.approx(emu.liquidation_price("carol", "ETH"), rel=1e-9)

            balance = await ex.fetch_balance()
            account = emu.sim.hl_accounts[ADDR_A]
            value = account.cross_value(emu.market.hyperliquid) + account.isolated_value(
                account.positions[1], emu.market.hyperliquid
            )
            assert balance["USDC"]["total"] == pytest.approx(value, abs=1e-5)

            rate = await ex.fetch_funding_rate("ETH/USDC:USDC")
            m = emu.market.hyperliquid["ETH"]
            assert rate["fundingRate"] == pytest.approx(m.funding_rate, abs=1e-10)
            assert rate["markPrice"] == m.mark and rate["indexPrice"] == m.index and rate["interval"] == "1h"
        finally:
            await ex.close()


async def test_hyperliquid_watch_ticker_and_positions(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = hyperliquid_ccxt(emu, ADDR_A)
        try:
            await ex.load_markets()
            ticker = await asyncio.wait_for(ex.watch_ticker("BTC/USDC:USDC"), 5)  # the first push follows the ack
            m = emu.market.hyperliquid["BTC"]
            assert float(ticker["info"]["markPx"]) == m.mark and float(ticker["info"]["oraclePx"]) == m.index
            task = asyncio.create_task(ex.watch_ticker("BTC/USDC:USDC"))
            await asyncio.sleep(0.05)
            await emu.tick()
            ticker = await asyncio.wait_for(task, 5)
            assert float(ticker["info"]["markPx"]) == emu.market.hyperliquid["BTC"].mark

            positions = await asyncio.wait_for(ex.watch_positions(), 5)
            by_symbol = {p["symbol"]: p for p in positions}
            assert set(by_symbol) == {"BTC/USDC:USDC", "ETH/USDC:USDC"}
            assert by_symbol["ETH/USDC:USDC"]["liquidationPrice"] == pytest.approx(
                emu.liquidation_price("carol", "ETH"), rel=1e-9
            )
            # watch_balance shares the clearinghouseState subscription: it resolves on the next push.
            task_balance = asyncio.create_task(ex.watch_balance())
            await asyncio.sleep(0.05)
            await emu.tick()
            balance = await asyncio.wait_for(task_balance, 5)
            assert balance["USDC"]["total"] is not None
        finally:
            await ex.close()
