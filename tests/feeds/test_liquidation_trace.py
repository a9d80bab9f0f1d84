"""A liquidation leaves a trace: the position stays listed as LIQUIDATED and its account critical until the
liquidation's alert is acknowledged (issue 9, section 3). Over real sockets against the emulator."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator

import orjson
import pytest

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.commands.snapshot_output import snapshot_json
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario, scenario_from_toml
from liqwatch.emulator.demo_scenario import DEMO_TOML
from liqwatch.monitor import Monitor
from liqwatch.status import Status
from tests.feeds.harness import FAST, Env, eventually, running
from tests.feeds.ws_relay import Relay
from tui.alerts_adapter import EngineAlerts


async def _ticking(env, stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    while not stop.is_set():
        await env.emu.tick(1)
        await asyncio.sleep(0.02)  # ~50 steps a second: the slide to the liquidation in ~2 s


async def test_a_binance_liquidation_stays_listed_and_critical_until_acknowledged() -> None:
    async with running(only=("binance-degen",), autorun=False) as env:
        store = env.monitor.store
        alerts = EngineAlerts(store=store)
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticking(env, stop))
        try:
            assert await env.monitor.wait_live(15)
            await eventually(lambda: bool(env.emu.liquidations), 60, "the emulator to liquidate binance-degen")
            await _after_liquidation(env, store, alerts)
        finally:
            stop.set()
            await ticker


async def _after_liquidation(env, store, alerts) -> None:  # type: ignore[no-untyped-def]
    leg = env.emu.liquidations[0].legs[0]
    await eventually(lambda: len(store.book("binance-degen")) == 0, 10, "the position to close on the stream")
    await eventually(lambda: bool(store.snapshot().account("binance-degen").liquidations), 5, "the record")
    # Seconds later (marks keep coming, the account has nothing open): still critical, still listed.
    frames = env.channel("binance-degen", "mark").frames
    await eventually(lambda: env.channel("binance-degen", "mark").frames >= frames + 2, 10, "more marks")
    view = store.snapshot().account("binance-degen")
    assert view.status is Status.CRITICAL and view.fresh
    (liq,) = view.liquidations
    assert (liq.symbol, liq.side.value, liq.partial) == ("ETH/USDT:USDT", "long", False)
    assert liq.size_taken == pytest.approx(abs(leg.qty)) and liq.size_before == pytest.approx(abs(leg.qty))
    assert liq.price == pytest.approx(leg.price, rel=1e-6)
    assert liq.realized_pnl == pytest.approx(leg.realized, abs=1e-6) and liq.realized_pnl < 0
    acc_json = next(a for a in snapshot_json(store.snapshot())["accounts"] if a["name"] == "binance-degen")
    assert acc_json["status"] == "critical"
    (row,) = [p for p in acc_json["positions"] if p["state"] == "liquidated"]
    assert row["symbol"] == "ETH/USDT:USDT" and row["liquidated_at"].endswith("Z")
    assert row["price"] == pytest.approx(leg.price, rel=1e-6) and row["realized_pnl"] < 0

    # The alert says LIQUIDATED, for that leg; acknowledging it releases the row and the status.
    await alerts.update(store.snapshot())
    (alert,) = [a for a in alerts.alerts() if a.key.rule is AlertRule.RISK_EVENT
                and a.key.subject == "liquidation ETH/USDT:USDT long"]
    assert alert.level is AlertLevel.LIQUIDATION_IMMINENT and "LIQUIDATED" in alert.message
    await alerts.update(store.snapshot())
    assert store.snapshot().account("binance-degen").status is Status.CRITICAL  # evaluation alone: no release
    assert await alerts.ack(alert.id)
    view = store.snapshot().account("binance-degen")
    assert view.liquidations == () and view.status is Status.OK


def _hl_liquidated(env) -> bool:  # type: ignore[no-untyped-def]
    return any(liq.venue.value == "hyperliquid" for liq in env.emu.liquidations)


@contextlib.asynccontextmanager
async def _thin_hl_isolated() -> AsyncIterator[Env]:
    """The demo with hl-isolated's 25x ETH long on less margin (650 instead of 900): the demo's ETH slide
    liquidates it within a minute of ticking."""
    toml = DEMO_TOML.replace("isolated_margin = 900.0", "isolated_margin = 650.0")
    assert toml != DEMO_TOML
    async with asyncio.timeout(120), EmulatorServer(scenario_from_toml(toml), seed=11, autorun=False,
                                                     publish_interval=0.1) as emu:
        accounts = [a for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url) if a.name == "hl-isolated"]
        async with Monitor(accounts, options=FAST) as monitor:
            yield Env(emu, monitor)


async def test_a_hyperliquid_liquidation_fill_is_kept_until_acknowledged() -> None:
    async with _thin_hl_isolated() as env:
        store = env.monitor.store
        alerts = EngineAlerts(store=store)
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticking(env, stop))
        try:
            assert await env.monitor.wait_live(15)
            await eventually(lambda: _hl_liquidated(env), 60, "the emulator to liquidate hl-isolated's ETH long")
            leg = next(liq for liq in env.emu.liquidations if liq.venue.value == "hyperliquid").legs[0]
            await eventually(lambda: bool(store.snapshot().account("hl-isolated").liquidations), 5, "the record")
            view = store.snapshot().account("hl-isolated")
            (liq,) = view.liquidations
            assert (liq.symbol, liq.side.value, liq.partial) == ("ETH/USDC:USDC", "long", False)
            assert liq.size_taken == pytest.approx(abs(leg.qty)) and liq.size_before == pytest.approx(abs(leg.qty))
            assert liq.price == pytest.approx(leg.price, rel=1e-4)  # Hyperliquid prints 5 significant figures
            assert liq.realized_pnl == pytest.approx(leg.realized, abs=1e-5)
            # The SOL short is still open and fine, yet the account is critical while the liquidation stands.
            assert [p.risk.symbol for p in view.positions] == ["SOL/USDC:USDC"]
            assert view.status is Status.CRITICAL
            await alerts.update(store.snapshot())
            (alert,) = [a for a in alerts.alerts() if a.key.subject == "liquidation ETH/USDC:USDC long"]
            assert await alerts.ack(alert.id)
            view = store.snapshot().account("hl-isolated")
            assert view.liquidations == () and view.status is not Status.CRITICAL
        finally:
            stop.set()
            await ticker


async def test_a_partial_binance_liquidation_is_shown_and_alerted_as_partial_with_the_size_taken() -> None:
    """Binance may reduce a position tier by tier: a liquidation order that fills 4 of the 10 ETH is a
    partial liquidation (crafted, relayed to the adapter as if Binance had sent it)."""
    async with asyncio.timeout(60), EmulatorServer(demo_scenario(), seed=11, publish_interval=0.1) as emu, \
            Relay(emu.port) as relay:
        accounts = [dataclasses.replace(a, ws_url=relay.ws_url)
                    for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url) if a.name == "binance-degen"]
        async with Monitor(accounts, options=FAST) as monitor:
            store = monitor.store
            assert await monitor.wait_live(15)
            now = emu.sim.now_ms()
            order = {"s": "ETHUSDT", "c": f"autoclose-{now}", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": "10",
                     "p": "2925.50", "ap": "2925.50", "X": "PARTIALLY_FILLED", "x": "TRADE", "i": 77, "l": "4",
                     "z": "4", "L": "2925.50", "T": now, "t": 501, "ot": "LIQUIDATION", "ps": "BOTH", "rp": "-298.00"}
            frame = orjson.dumps({"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": order}).decode()
            assert await relay.inject("/private/ws", frame) == 1
            assert await relay.inject("/private/ws", frame) == 1  # the same fill twice: counted once
            await eventually(lambda: bool(store.snapshot().account("binance-degen").liquidations), 5, "the record")
            view = store.snapshot().account("binance-degen")
            (liq,) = view.liquidations
            assert liq.partial and liq.size_taken == 4.0 and liq.size_before == 10.0
            assert liq.price == 2925.5 and liq.realized_pnl == -298.0
            assert view.status is Status.CRITICAL
            (row,) = [p for p in snapshot_json(store.snapshot())["accounts"][0]["positions"]
                      if p["state"] == "liquidated"]
            assert row["partial"] is True and row["size"] == 4.0 and row["size_before"] == 10.0
            alerts = EngineAlerts(store=store)
            await alerts.update(store.snapshot())
            (alert,) = [a for a in alerts.alerts() if a.key.subject == "liquidation ETH/USDT:USDT long"]
            assert "partially liquidated" in alert.message and "size 4 of 10" in alert.message


async def test_a_liquidation_while_the_stream_was_blind_is_reported_as_one() -> None:
    """The reconciliation finds the position gone; the exchange's history says it was liquidated."""
    async with running(only=("binance-degen",), autorun=False, proxy=True) as env:
        assert env.proxy is not None
        store = env.monitor.store
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticking(env, stop))
        try:
            assert await env.monitor.wait_live(15)
        finally:
            stop.set()
            await ticker
        env.proxy.refuse = True
        env.proxy.reset_all()
        for _ in range(400):  # the demo's ETH slides until the 30x long is liquidated
            await env.emu.tick(1)
            if env.emu.liquidations:
                break
        assert env.emu.liquidations, "the emulator never liquidated the degen account"
        leg = env.emu.liquidations[0].legs[0]
        env.proxy.refuse = False
        await eventually(lambda: bool(store.snapshot().account("binance-degen").liquidations), 15,
                         "the resync and the history lookup")
        view = store.snapshot().account("binance-degen")
        (liq,) = view.liquidations
        assert liq.source == "blind" and liq.size_taken == pytest.approx(abs(leg.qty))
        assert liq.realized_pnl == pytest.approx(leg.realized, abs=1e-6)
        assert view.status is Status.CRITICAL
        assert any("LIQUIDATED while the stream was blind" in i for i in store.incidents)


async def test_a_hyperliquid_liquidation_slice_is_a_partial_liquidation() -> None:
    """Hyperliquid closes a large position in slices: a liquidation fill of 1.5 of a 5 ETH long
    (``startPosition`` 5) is partial (crafted in Hyperliquid's documented fill shape, relayed)."""
    async with asyncio.timeout(60), EmulatorServer(demo_scenario(), seed=11, publish_interval=0.1) as emu, \
            Relay(emu.port) as relay:
        accounts = [dataclasses.replace(a, ws_url=relay.ws_url)
                    for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url) if a.name == "hl-isolated"]
        async with Monitor(accounts, options=FAST) as monitor:
            store = monitor.store
            assert await monitor.wait_live(15)
            address = accounts[0].address
            now = emu.sim.now_ms() + 1000
            fill = {"coin": "ETH", "px": "2890.1", "sz": "1.5", "side": "A", "time": now, "startPosition": "5.0",
                    "dir": "Close Long", "closedPnl": "-180.135", "hash": "0x" + "ab" * 32, "oid": 1, "crossed": True,
                    "fee": "0.0", "tid": 424242, "feeToken": "USDC",
                    "liquidation": {"liquidatedUser": address, "markPx": "2890.1", "method": "market"}}
            other = dict(fill, tid=1, liquidation=None, dir="Close Long", sz="0.1")  # an ordinary fill: ignored
            frame = {"channel": "userFills", "data": {"isSnapshot": False, "user": address, "fills": [other, fill]}}
            assert await relay.inject("/ws", orjson.dumps(frame).decode()) == 1
            await eventually(lambda: bool(store.snapshot().account("hl-isolated").liquidations), 5, "the record")
            view = store.snapshot().account("hl-isolated")
            (liq,) = view.liquidations
            assert (liq.symbol, liq.side.value) == ("ETH/USDC:USDC", "long")
            assert liq.partial and liq.size_taken == 1.5 and liq.size_before == 5.0
            assert liq.price == 2890.1 and liq.realized_pnl == -180.135
            assert view.status is Status.CRITICAL
            assert any("ETH/USDC:USDC long partially liquidated" in i for i in store.incidents)
