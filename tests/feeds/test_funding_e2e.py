"""Funding against the emulator over 127.0.0.1: hedge legs each carry their own share, every settled payment
reaches the history database once, Hyperliquid's since-open is the exchange's own figure, and Hyperliquid's
countdown follows the emulator's (simulated) settlement clock.

The demo starts two simulated minutes before 08:00 UTC, so at 60x the first settlement comes ~2 s in.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from liqwatch.alert_runtime import AlertRuntime
from liqwatch.config import load_settings
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.funding import next_settlement
from liqwatch.model import Side
from liqwatch.monitor import Monitor
from tests.feeds.harness import FAST, eventually, running
from tui.cli import main
from widgets.funding_view import seconds_to_next

BTC = "BTC/USDT:USDT"


def _legs(env, account: str, symbol: str) -> dict[Side, float | None]:  # type: ignore[no-untyped-def]
    snap = env.monitor.store.snapshot()
    return {p.risk.side: p.funding_paid_since_open for p in snap.account(account).positions
            if p.risk.symbol == symbol}


@pytest.mark.slow(4)
async def test_hedge_legs_each_show_their_own_funding_share() -> None:
    async with running(only=("binance-hedge",), speed=60.0) as env:
        assert await env.monitor.wait_live(15)
        account = env.emu.sim.binance_accounts["binance-hedge"]

        def settled() -> bool:
            legs = _legs(env, "binance-hedge", BTC)
            return any(r.symbol == "BTCUSDT" for r in account.income) and all(v is not None for v in legs.values())

        await eventually(settled, 30, "the first BTC settlement on both legs")
        [settlement] = [s for s in env.emu.sim.settlement_log if s.venue == "binance" and s.symbol == "BTCUSDT"][:1]
        sizes = {Side.LONG if p.qty > 0 else Side.SHORT: abs(p.qty) for p in account.positions if p.symbol == "BTCUSDT"}
        legs = _legs(env, "binance-hedge", BTC)
        # Each leg: its own size x the settlement's mark x rate; the long pays, the short receives (rate > 0).
        for side, size in sizes.items():
            own = -(1 if side is Side.LONG else -1) * size * settlement.mark * settlement.rate
            assert legs[side] == pytest.approx(own, abs=1e-6), side
        assert settlement.rate != 0 and (legs[Side.LONG] or 0) * (legs[Side.SHORT] or 0) < 0
        booked = math.fsum(r.amount for r in account.income if r.symbol == "BTCUSDT")
        assert math.fsum(v or 0.0 for v in legs.values()) == pytest.approx(booked, abs=1e-8)
        assert not [i for i in env.monitor.store.incidents if "funding" in i]


@pytest.mark.slow(7)
async def test_history_records_every_settled_payment_once(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    db_path = tmp_path / "liqwatch.sqlite3"
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{db_path}"\n', encoding="utf-8")
    settings = load_settings(config, environ={})
    async with running(only=("binance-hedge", "hl-whale"), speed=60.0) as env, AlertRuntime(
            settings, db_path=db_path, environ={}) as rt:
        assert await env.monitor.wait_live(15)
        hedge = env.emu.sim.binance_accounts["binance-hedge"]
        whale = next(a for a in env.emu.sim.hl_accounts.values() if a.name == "hl-whale")

        async def record_until(done: float) -> None:
            loop = asyncio.get_running_loop()
            while loop.time() < done:
                await rt.on_snapshot(env.monitor.store.snapshot())
                await asyncio.sleep(0.1)

        await eventually(lambda: bool(hedge.income) and bool(whale.fundings), 30, "settlements on both exchanges")
        await record_until(asyncio.get_running_loop().time() + 3.0)  # reconciliations and stream replays repeat
        assert rt.bookkeeping_error is None
        income = [(r.symbol, r.amount) for r in hedge.income if r.income_type == "FUNDING_FEE"]
        fundings = [(f.coin, f.usdc) for f in whale.fundings]

    assert main(["history", "binance-hedge", "--db", str(db_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    # Binance books one record per leg (no side): each appears once, as booked.
    assert sorted(f["amount"] for f in doc["funding"]) == pytest.approx(sorted(a for _, a in income), abs=1e-8)
    assert len(doc["funding"]) == len(income) >= 2
    assert doc["funding_total"] == pytest.approx(math.fsum(a for _, a in income), abs=1e-8)
    assert main(["history", "hl-whale", "--db", str(db_path), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["funding"]) == len(fundings) >= 2
    assert sorted(f["amount"] for f in doc["funding"]) == pytest.approx(sorted(a for _, a in fundings), abs=1e-6)
    assert {f["symbol"] for f in doc["funding"]} == {"BTC/USDC:USDC", "ETH/USDC:USDC"}

    assert main(["history", "hl-whale", "--db", str(db_path)]) == 0
    text = capsys.readouterr().out
    assert f"funding ({len(fundings)} payments" in text and "negative = paid" in text
    assert "BTC/USDC:USDC" in text


@pytest.mark.slow(4)
async def test_hyperliquid_since_open_is_the_exchanges_cum_funding_in_our_sign() -> None:
    # The positions settle funding before liqwatch starts: only the exchange knows what they paid since open.
    async with asyncio.timeout(90), EmulatorServer(demo_scenario(), seed=11, speed=60.0, autorun=True,
                                                   publish_interval=0.1) as emu:
        whale = next(a for a in emu.sim.hl_accounts.values() if a.name == "hl-whale")
        await eventually(lambda: bool(whale.fundings), 30, "a settlement before liqwatch starts")
        accounts = [a for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url) if a.name == "hl-whale"]
        async with Monitor(accounts, options=FAST) as monitor:
            assert await monitor.wait_live(15)
            body = {"type": "clearinghouseState", "user": whale.address}

            async def exchange_since_open() -> dict[str, float]:
                async with aiohttp.ClientSession() as s, s.post(f"{emu.rest_url}/info", json=body) as r:
                    state = await r.json()
                return {ap["position"]["coin"]: float(ap["position"]["cumFunding"]["sinceOpen"])
                        for ap in state["assetPositions"]}

            def ours() -> dict[str, float | None]:
                snap = monitor.store.snapshot()
                return {p.risk.symbol.split("/")[0]: p.funding_paid_since_open
                        for p in snap.account("hl-whale").positions}

            cum = await exchange_since_open()
            assert cum["BTC"] > 0  # the long pays at a positive rate: Hyperliquid counts that as positive
            await eventually(lambda: all(ours()[c] == pytest.approx(-v, abs=1e-6) for c, v in cum.items()), 10,
                             "since-open = -cumFunding.sinceOpen")
            # It agrees with the exchange's payment ledger (the positions opened when the emulator started).
            for coin, v in cum.items():
                assert math.fsum(f.usdc for f in whale.fundings if f.coin == coin) == pytest.approx(-v, abs=1e-5)


@pytest.mark.slow(4)
async def test_hyperliquid_countdown_follows_the_emulators_settlement_clock() -> None:
    # At 30x a simulated hour lasts 120 wall seconds: the local clock's next whole hour is not the settlement.
    async with running(only=("hl-whale",), speed=30.0) as env:
        assert await env.monitor.wait_live(15)
        sim = env.emu.sim
        btc = sim.hl_markets["BTC"]

        def countdown_error() -> float:
            snap = env.monitor.store.snapshot()
            [p] = [p for p in snap.account("hl-whale").positions if p.risk.symbol == "BTC/USDC:USDC"]
            ours = seconds_to_next(p, snap.account("hl-whale").exchange, snap.time)
            theirs = (sim.next_funding_ms(btc) - snap.time.timestamp() * 1000) / 1000
            return abs(ours - theirs)

        await eventually(lambda: countdown_error() < 1.0, 10, "the countdown to the emulator's next settlement")
        whale = next(a for a in sim.hl_accounts.values() if a.name == "hl-whale")
        await eventually(lambda: bool(whale.fundings), 30, "the first settlement")
        # After it, the countdown moves on to the next simulated hour: ~120 s away, not to the wall clock's.
        await eventually(lambda: countdown_error() < 1.0, 10, "the countdown after the settlement")
        snap = env.monitor.store.snapshot()
        [p] = [p for p in snap.account("hl-whale").positions if p.risk.symbol == "BTC/USDC:USDC"]
        assert 100 < seconds_to_next(p, snap.account("hl-whale").exchange, snap.time) <= 121


class _SkewedClock:
    """The local wall clock an hour ahead of the exchange's; monotonic time untouched."""

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(hours=1)

    def monotonic(self) -> float:
        return time.monotonic()


@contextlib.asynccontextmanager
async def _info_relay(upstream: str, refuse: str) -> AsyncIterator[str]:
    """A relaying proxy for Hyperliquid's POST /info that answers ``refuse`` requests with HTTP 500."""
    async with aiohttp.ClientSession() as session:
        async def info(request: web.Request) -> web.Response:
            body = await request.json()
            if body.get("type") == refuse:
                return web.Response(status=500, text="unavailable")
            async with session.post(f"{upstream}/info", json=body) as r:
                return web.Response(status=r.status, body=await r.read(), content_type="application/json")

        app = web.Application()
        app.router.add_post("/info", info)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        try:
            port = runner.addresses[0][1]
            yield f"http://127.0.0.1:{port}"
        finally:
            await runner.cleanup()


async def test_hyperliquid_next_funding_without_predicted_fundings_is_the_exchange_clocks_next_hour() -> None:
    # predictedFundings refused, the local clock an hour ahead: the next settlement is the next whole hour of
    # Hyperliquid's clock (measured from clearinghouseState.time), not of ours.
    async with asyncio.timeout(90), EmulatorServer(demo_scenario(), seed=11, speed=1.0, autorun=True,
                                                   publish_interval=0.1) as emu, _info_relay(
            emu.rest_url, "predictedFundings") as rest:
        accounts = [a for a in scenario_accounts(emu.scenario, rest, emu.ws_url) if a.name == "hl-whale"]
        async with Monitor(accounts, options=FAST, clock=_SkewedClock()) as monitor:
            await eventually(lambda: monitor.store.snapshot().account("hl-whale").risk is not None, 15, "synced")

            def on_the_exchange_hour() -> bool:
                expected = next_settlement(datetime.now(UTC), 1.0)  # the emulator stamps with the real clock
                ours = {p.next_funding_time for p in monitor.store.snapshot().account("hl-whale").positions}
                return ours == {expected}

            await eventually(on_the_exchange_hour, 10, "the exchange clock's next hour")
