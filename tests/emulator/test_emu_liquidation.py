"""The exchange's own liquidation: it happens exactly when the independent solve says the mark crossed,
and the events go out on the wire."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
import pytest

from liqwatch.emulator import EmulatorServer, scenario_from_toml

from .helpers import ADDR_A, KEY_A, LIMIT_S, recv_until


def closed_form_long(wallet: float, qty: float, entry: float, mmr: float, cum: float = 0.0) -> float:
    return (wallet + cum - qty * entry) / (qty * mmr - qty)


async def test_binance_isolated_position_liquidated_when_the_mark_crosses_the_solved_price(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        expected = closed_form_long(1500.0, 10.0, 3000.0, 0.004)  # 2861.45..., bracket 1
        assert emu.liquidation_price("alice", "ETHUSDT") == pytest.approx(expected, rel=1e-10)
        async with aiohttp.ClientSession() as http:
            async with http.post(f"{emu.rest_url}/fapi/v1/listenKey", headers={"X-MBX-APIKEY": KEY_A}) as r:
                key = (await r.json())["listenKey"]
            async with http.ws_connect(f"{emu.ws_url}/private/ws?listenKey={key}") as ws:
                account = emu.sim.binance_accounts["alice"]
                marks = []
                solved = expected
                for _ in range(100):
                    result = await emu.tick()
                    marks.append(emu.market.binance["ETHUSDT"].mark)
                    if result.liquidations:
                        break
                    # Funding at 08:00 comes out of the isolated wallet and moves the price; track it.
                    solved = closed_form_long(account.positions[1].isolated_wallet, 10.0, 3000.0, 0.004)
                    assert emu.liquidation_price("alice", "ETHUSDT") == pytest.approx(solved, rel=1e-10)
                assert result.liquidations
                assert marks[-1] <= solved < marks[-2]  # not one step early, not one step late
                liq = emu.liquidations[0]
                assert liq.isolated and liq.account == "alice" and liq.legs[0].symbol == "ETHUSDT"
                assert liq.liquidation_price == pytest.approx(solved, rel=1e-10)
                assert [p.symbol for p in account.positions] == ["BTCUSDT"]

                call = await recv_until(ws, lambda m: m.get("e") == "MARGIN_CALL")
                assert call["p"][0]["s"] == "ETHUSDT" and call["p"][0]["mt"] == "ISOLATED"
                order = await recv_until(ws, lambda m: m.get("e") == "ORDER_TRADE_UPDATE")
                assert (
                    order["o"]["c"].startswith("autoclose-")
                    and order["o"]["S"] == "SELL"
                    and order["o"]["X"] == "FILLED"
                )
                update = await recv_until(ws, lambda m: m.get("e") == "ACCOUNT_UPDATE")
                assert update["a"]["m"] == "ORDER"
                assert update["a"]["P"][0]["s"] == "ETHUSDT" and float(update["a"]["P"][0]["pa"]) == 0.0

            # The REST view agrees: the position is gone, the ledger shows the realized loss and clearance.
            income = [i for i in emu.sim.binance_accounts["alice"].income if i.symbol == "ETHUSDT"]
            assert [i.income_type for i in income] == ["FUNDING_FEE", "REALIZED_PNL", "INSURANCE_CLEAR"]
            assert sum(i.amount for i in income) == pytest.approx(-1500.0)  # the whole isolated wallet


async def test_hyperliquid_isolated_position_liquidated_when_the_solve_says(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        mmr = 1 / (2 * 25)
        raw_usd = 900.0 - 4.0 * 3000.0
        expected = -raw_usd / (4.0 * (1 - mmr))
        assert emu.liquidation_price("carol", "ETH") == pytest.approx(expected, rel=1e-10)
        async with aiohttp.ClientSession() as http, http.ws_connect(f"{emu.ws_url}/ws") as ws:
            sub = {"method": "subscribe", "subscription": {"type": "clearinghouseState", "user": ADDR_A}}
            await ws.send_str(orjson.dumps(sub).decode())
            marks = []
            for _ in range(100):
                result = await emu.tick()
                marks.append(emu.market.hyperliquid["ETH"].mark)
                if any(liq.venue.value == "hyperliquid" for liq in result.liquidations):
                    break
            assert marks[-1] < expected <= marks[-2]
            await emu.flush()
            state = await recv_until(
                ws,
                lambda m: (
                    m.get("channel") == "clearinghouseState"
                    and len(m["data"]["clearinghouseState"]["assetPositions"]) == 1
                ),
            )
            assert state["data"]["clearinghouseState"]["assetPositions"][0]["position"]["coin"] == "BTC"


CROSS_TOML = """
[[paths]]
name = "ETH"
start = 3000.0
vol_per_sqrt_hour = 0.0
waypoints = [[200.0, 2000.0]]

[[binance.markets]]
symbol = "ETHUSDT"
path = "ETH"
premium_noise_bps = 0.0
premium_bps = 0.0

[[binance.accounts]]
name = "hedger"
api_key = "H000000000000000000000000000000000000000000000000000000000000001"
secret = "hedgersecret"
position_mode = "hedge"
wallet = 1500.0

[[binance.accounts.positions]]
symbol = "ETHUSDT"
side = "long"
size = 3.0
entry = 3000.0

[[binance.accounts.positions]]
symbol = "ETHUSDT"
side = "short"
size = 1.0
entry = 3050.0
"""


async def test_binance_cross_hedge_legs_liquidated_together() -> None:
    async with asyncio.timeout(LIMIT_S):
        scenario = scenario_from_toml(CROSS_TOML)
        async with EmulatorServer(scenario, seed=1, autorun=False, hl_idle_timeout=None) as emu:
            # Both legs move with the price: LP = (WB - QL*EPL + QS*EPS) / (QL*m + QS*m - QL + QS).
            expected = (1500 - 3 * 3000 + 1 * 3050) / (3 * 0.004 + 1 * 0.004 - 3 + 1)
            assert emu.liquidation_price("hedger", "ETHUSDT", "LONG") == pytest.approx(expected, rel=1e-10)
            assert emu.liquidation_price("hedger", "ETHUSDT", "SHORT") == pytest.approx(expected, rel=1e-10)
            marks = []
            for _ in range(200):
                result = await emu.tick()
                marks.append(emu.market.binance["ETHUSDT"].mark)
                if result.liquidations:
                    break
            assert marks[-1] <= expected < marks[-2]
            liq = emu.liquidations[0]
            assert not liq.isolated and sorted(leg.side for leg in liq.legs) == ["LONG", "SHORT"]
            account = emu.sim.binance_accounts["hedger"]
            assert account.positions == [] and account.cross_wallet == 0.0


async def test_demo_account_drifts_into_danger_within_a_minute_then_is_liquidated(demo: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        account = demo.sim.binance_accounts["binance-degen"]
        markets = demo.market.binance
        solved = demo.liquidation_price("binance-degen", "ETHUSDT")
        await demo.tick(60)
        p = account.positions[0]
        equity = p.isolated_wallet + account.upnl(p, markets["ETHUSDT"].mark)
        assert account.mm(p, markets["ETHUSDT"]) / equity > 0.5  # margin ratio past 50 % after a minute
        for _ in range(120):
            result = await demo.tick()
            if result.liquidations:
                break
        liq = demo.liquidations[0]
        assert liq.account == "binance-degen"
        assert liq.legs[0].price <= solved
