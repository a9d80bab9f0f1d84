"""The simulated market: seeded determinism, price-path features, funding settled into wallets and ledgers."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime

import aiohttp
import orjson
import pytest

from liqwatch.clock import FakeClock
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.emulator.market import Market
from liqwatch.emulator.paths import PricePath
from liqwatch.emulator.scenario import PathSpec

from .helpers import ADDR_A, KEY_A, LIMIT_S, SECRET_A, signed_query, small_scenario


def _marks(seed: int, steps: int) -> list[tuple[float, ...]]:
    market = Market(demo_scenario(), seed)
    out = []
    for _ in range(steps):
        market.step()
        out.append(tuple(m.mark for m in market.all_markets()) + tuple(m.funding_rate for m in market.all_markets()))
    return out


def test_same_seed_same_market_and_other_seeds_differ() -> None:
    assert _marks(42, 300) == _marks(42, 300)
    assert _marks(42, 300) != _marks(43, 300)


async def _record_stream(seed: int, ticks: int) -> list[bytes]:
    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    frames: list[bytes] = []
    async with (
        EmulatorServer(small_scenario(), seed=seed, autorun=False, clock=clock, hl_idle_timeout=None) as emu,
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{emu.ws_url}/market/stream?streams=btcusdt@markPrice@1s/!markPrice@arr@1s") as bws,
        http.ws_connect(f"{emu.ws_url}/ws") as hws,
    ):
        await hws.send_str('{"method":"subscribe","subscription":{"type":"activeAssetCtx","coin":"BTC"}}')
        await hws.send_str(
            orjson.dumps(
                {"method": "subscribe", "subscription": {"type": "clearinghouseState", "user": ADDR_A}}
            ).decode()
        )
        for _ in range(4):  # two acks, two initial pushes
            frames.append((await hws.receive(timeout=3)).data.encode())
        for _ in range(ticks):
            clock.advance(1.0)
            await emu.tick()
            for _ in range(2):
                frames.append((await bws.receive(timeout=3)).data.encode())
                frames.append((await hws.receive(timeout=3)).data.encode())
    return frames


async def test_same_seed_gives_byte_identical_streams() -> None:
    async with asyncio.timeout(LIMIT_S):
        first = await _record_stream(9, 20)
        second = await _record_stream(9, 20)
        other = await _record_stream(10, 20)
    assert len(first) == 4 + 20 * 4
    assert first == second
    assert first != other


def test_speed_does_not_change_the_prices() -> None:
    a = Market(small_scenario(), 3)
    b = Market(small_scenario(), 3)
    for _ in range(50):
        a.step()
        b.step()
    assert [m.mark for m in a.all_markets()] == [m.mark for m in b.all_markets()]


def test_waypoints_regimes_and_jumps() -> None:
    flat = PricePath(PathSpec(name="X", start=100.0, vol_per_sqrt_hour=0.0, waypoints=((10.0, 121.0),)), 1, 1.0)
    prices = [flat.step() for _ in range(20)]
    assert prices[4] == pytest.approx(100.0 * (1.21 ** (5 / 10)))  # log-linear between waypoints
    assert prices[-1] == pytest.approx(121.0)  # flat after the last one
    wild = PricePath(
        PathSpec(
            name="Y", start=100.0, regimes=(1.0, 5.0), regime_switch_per_hour=360.0, jump_per_hour=360.0, jump_size=0.01
        ),
        1,
        1.0,
    )
    regimes = set()
    for _ in range(500):
        wild.step()
        regimes.add(wild.regime)
    assert regimes == {0, 1}
    assert 20 < wild.jumps < 120  # ~0.1 per step


async def test_funding_settles_at_the_boundary_into_wallets_and_ledgers(emu: EmulatorServer) -> None:
    async with asyncio.timeout(LIMIT_S):
        alice = emu.sim.binance_accounts["alice"]
        carol = emu.sim.hl_accounts[ADDR_A]
        wallet_before, iso_before = alice.cross_wallet, alice.positions[1].isolated_wallet
        balance_before = carol.balance
        await emu.tick(9)
        assert emu.sim.settlement_log == []  # 07:59:59 simulated
        result = await emu.tick(1)  # 08:00:00: Binance (8 h) and Hyperliquid (1 h) both settle
        assert {(s.venue.value, s.symbol) for s in result.settlements} == {
            ("binance", "BTCUSDT"),
            ("binance", "ETHUSDT"),
            ("hyperliquid", "BTC"),
            ("hyperliquid", "ETH"),
        }
        btc = next(s for s in result.settlements if s.symbol == "BTCUSDT")
        eth = next(s for s in result.settlements if s.symbol == "ETHUSDT")
        assert alice.cross_wallet - wallet_before == pytest.approx(-0.5 * btc.mark * btc.rate)
        assert alice.positions[1].isolated_wallet - iso_before == pytest.approx(-10 * eth.mark * eth.rate)
        hl_btc = next(s for s in result.settlements if s.symbol == "BTC" and s.venue.value == "hyperliquid")
        # Hyperliquid pays on the oracle price at an hourly rate.
        assert carol.balance - balance_before == pytest.approx(-0.5 * hl_btc.index * hl_btc.rate)
        assert hl_btc.rate == pytest.approx(0.0001 / 8)

        async with aiohttp.ClientSession() as http:
            async with http.get(
                f"{emu.rest_url}/fapi/v1/income?" + signed_query({"incomeType": "FUNDING_FEE"}, SECRET_A),
                headers={"X-MBX-APIKEY": KEY_A},
            ) as r:
                income = await r.json()
            async with http.post(
                f"{emu.rest_url}/info", json={"type": "userFunding", "user": ADDR_A, "startTime": 0}
            ) as r:
                fundings = await r.json()
        assert sorted((i["symbol"], float(i["income"])) for i in income) == sorted(
            [
                ("BTCUSDT", pytest.approx(-0.5 * btc.mark * btc.rate)),
                ("ETHUSDT", pytest.approx(-10 * eth.mark * eth.rate)),
            ]
        )
        assert all(i["incomeType"] == "FUNDING_FEE" and i["asset"] == "USDT" for i in income)
        assert {f["delta"]["coin"] for f in fundings} == {"BTC", "ETH"}
        assert all(f["delta"]["type"] == "funding" for f in fundings)
        # Next boundary: one simulated hour later for Hyperliquid, eight for Binance.
        m = emu.market.hyperliquid["BTC"]
        assert emu.market.next_funding_sim_time(m) - emu.market.sim_time == pytest.approx(3600.0)


def test_next_funding_time_follows_the_speed() -> None:
    from liqwatch.emulator.simulation import Simulation

    clock = FakeClock(datetime(2026, 3, 1, tzinfo=UTC))
    fast = Simulation(small_scenario(), seed=1, speed=60.0, clock=clock)
    m = fast.market.binance["BTCUSDT"]
    now = math.floor(clock.now().timestamp() * 1000)
    assert fast.next_funding_ms(m) - now == pytest.approx(10_000 / 60, abs=1)  # 10 simulated s at 60x
    slow = Simulation(small_scenario(), seed=1, speed=1.0, clock=clock)
    assert slow.next_funding_ms(slow.market.binance["BTCUSDT"]) - now == 10_000


async def test_autorun_moves_the_market_on_the_wall_clock() -> None:
    async with asyncio.timeout(LIMIT_S):
        async with EmulatorServer(small_scenario(), seed=2, speed=200.0, publish_interval=0.05) as emu:
            async with (
                aiohttp.ClientSession() as http,
                http.ws_connect(f"{emu.ws_url}/market/ws/btcusdt@markPrice@1s") as ws,
            ):
                first = orjson.loads((await ws.receive(timeout=3)).data)
                second = orjson.loads((await ws.receive(timeout=3)).data)
            assert first["e"] == second["e"] == "markPriceUpdate"
            assert emu.market.steps >= 10  # 200 simulated seconds per wall second
