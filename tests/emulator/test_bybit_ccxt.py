"""Stock ccxt's ``bybit`` (async_support and ccxt.pro) parses what the emulator serves at Bybit's v5 paths."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from liqwatch.emulator import EmulatorServer

from .bybit_helpers import BYBIT_KEY_ISO, BYBIT_SECRET_ISO, bybit_ccxt, bybit_scenario
from .helpers import LIMIT_S


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(bybit_scenario(), seed=5, autorun=False, hl_idle_timeout=None)
    await asyncio.wait_for(server.start(), 10)
    try:
        await server.tick(2)
        yield server
    finally:
        await asyncio.wait_for(server.stop(), 10)


async def test_rest_calls_parse(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = bybit_ccxt(emu)
        try:
            markets = await ex.load_markets()
            assert {"BTC/USDT:USDT", "ETH/USDT:USDT"} <= set(markets)
            btc = markets["BTC/USDT:USDT"]
            assert btc["swap"] and btc["linear"] and btc["id"] == "BTCUSDT" and btc["precision"]["price"] == 0.1

            positions = {p["symbol"]: p for p in await ex.fetch_positions()}
            assert set(positions) == {"BTC/USDT:USDT"}
            cross = positions["BTC/USDT:USDT"]
            # ccxt leaves marginMode None: UTA 2.0 deprecated tradeMode (the mode is account/info's marginMode).
            assert (cross["side"], cross["contracts"], cross["entryPrice"], cross["marginMode"]) == (
                "long", 0.5, 59000.0, None)
            assert cross["markPrice"] == emu.market.bybit["BTCUSDT"].mark
            assert cross["liquidationPrice"] is None  # a UTA cross position's liqPrice is "" on Bybit
            account = emu.sim.bybit_accounts["yuki"]
            p = account.positions[0]
            # positionMM: entry value x MMR + the fee to close (0.5 x 59000 x 0.9 x 0.055 %).
            assert cross["maintenanceMargin"] == pytest.approx(0.5 * 59000 * 0.005 + 0.5 * 59000 * 0.9 * 0.00055)
            assert cross["maintenanceMargin"] == pytest.approx(account.position_mm(p, emu.market.bybit["BTCUSDT"]))
            balance = await ex.fetch_balance()
            assert balance["USDT"]["debt"] == pytest.approx(2000.0, rel=1e-6)  # the borrow (+ interest accrued)
            assert balance["BTC"]["total"] == pytest.approx(0.1)

            rate = await ex.fetch_funding_rate("BTC/USDT:USDT")
            m = emu.market.bybit["BTCUSDT"]
            assert rate["fundingRate"] == pytest.approx(m.funding_rate, abs=1e-8)
            assert rate["markPrice"] == m.mark and rate["indexPrice"] == m.index
            assert rate["fundingTimestamp"] == emu.sim.next_funding_ms(m)

            tiers = (await ex.fetch_leverage_tiers(["BTC/USDT:USDT"]))["BTC/USDT:USDT"]
            assert [(t["minNotional"], t["maxNotional"], t["maintenanceMarginRate"]) for t in tiers[:2]] == [
                (0.0, 2_000_000.0, 0.005), (2_000_000.0, 4_000_000.0, 0.0055)]
        finally:
            await ex.close()
    assert all(status == 200 for _, _, status in emu.requests)


async def test_isolated_position_parses(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = bybit_ccxt(emu, BYBIT_KEY_ISO, BYBIT_SECRET_ISO)
        try:
            await ex.load_markets()
            (iso,) = await ex.fetch_positions()
            mark = emu.market.bybit["ETHUSDT"].mark
            # ccxt's collateral: positionBalance plus the unrealised PnL.
            assert iso["symbol"] == "ETH/USDT:USDT" and iso["collateral"] == pytest.approx(310.0 + 2 * (mark - 3000))
            assert iso["liquidationPrice"] == pytest.approx(emu.liquidation_price("kenji", "ETHUSDT"), rel=1e-9)
            # Bybit's published isolated formula: EP - (position margin - MM) / size, MM with the fee to close.
            assert iso["liquidationPrice"] == pytest.approx(3000 - (310 - (6000 * 0.005 + 6000 * 0.95 * 0.00055)) / 2)
        finally:
            await ex.close()


async def test_funding_shows_in_history_and_ledger(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        await emu.tick(10)  # past 08:00: one settlement
        ex = bybit_ccxt(emu)
        try:
            await ex.load_markets()
            history = await ex.fetch_funding_rate_history("BTC/USDT:USDT")
            assert len(history) == 1
            assert history[0]["fundingRate"] == pytest.approx(emu.market.bybit["BTCUSDT"].last_settled_rate, abs=1e-8)
            ledger = await ex.fetch_ledger("USDT")
            kinds = {row["info"]["type"] for row in ledger}
            assert "SETTLEMENT" in kinds
        finally:
            await ex.close()


async def test_pro_streams_parse(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        ex = bybit_ccxt(emu)
        try:
            await ex.load_markets()
            ticker_task = asyncio.ensure_future(ex.watch_ticker("BTC/USDT:USDT"))
            positions_task = asyncio.ensure_future(ex.watch_positions())
            ticker = await ticker_task
            assert ticker["markPrice"] == emu.market.bybit["BTCUSDT"].mark
            # Private topics push on the next round; keep pushing until ccxt has one.
            while not positions_task.done():
                await emu.tick(1)
                await asyncio.wait({positions_task}, timeout=0.2)
            symbols = {p["symbol"] for p in positions_task.result()}
            assert symbols <= {"BTC/USDT:USDT", "ETH/USDT:USDT"} and symbols
            await emu.tick(1)
            ticker = await ex.watch_ticker("BTC/USDT:USDT")
            assert ticker["markPrice"] == emu.market.bybit["BTCUSDT"].mark  # the delta applied on the snapshot
        finally:
            await ex.close()
