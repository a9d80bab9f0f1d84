"""Typed risk events end to end (issue 11): each kind flows from where it comes from (a frame of the exchange
over 127.0.0.1, crafted and relayed where the emulator would not send it; a REST reconciliation; the history
look-up of the last run's positions) into the store's event log as a ``RiskEvent`` or ``FeedNote``, and from
there, typed, to its alert. No text is parsed on the way. (Clock skew: tests/feeds/test_clock_skew.py.)"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, timedelta

import orjson

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertEvent, AlertState, EventKind
from liqwatch.clock import OffsetClock
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.liquidations import PreviousRun
from liqwatch.model import Exchange, Side
from liqwatch.monitor import Monitor
from liqwatch.risk_events import FeedNote, LoggedEvent, RiskEvent, RiskEventKind
from liqwatch.status import Status
from liqwatch.store import MonitorStore
from tests.feeds.harness import FAST, eventually, running
from tests.feeds.ws_relay import Relay

ETH = "ETH/USDT:USDT"


class Alerts:
    """The alert engine over the store's snapshots, as the engine loop runs it: every event kept."""

    def __init__(self, store: MonitorStore) -> None:
        self.store, self.state, self.log = store, AlertState(), list[AlertEvent]()

    def evaluate(self) -> list[AlertEvent]:
        self.state, events = evaluate(self.state, self.store.snapshot(), ThresholdMap(), self.store.clock.now())
        self.log += events
        return events

    def raised(self, subject: str) -> AlertEvent:
        (e,) = [e for e in self.log if e.alert.key.rule is AlertRule.RISK_EVENT and e.kind is EventKind.RAISED
                and e.alert.key.subject == subject]
        return e


def logged(store: MonitorStore, match: Callable[[LoggedEvent], bool]) -> list[LoggedEvent]:
    return [e for e in store.events.items() if match(e)]


async def typed(store: MonitorStore, kind: RiskEventKind, what: str, alerts: Alerts | None = None) -> RiskEvent:
    """The one event of ``kind`` once the store logged it (evaluating the alerts meanwhile, if given)."""

    def seen() -> bool:
        if alerts is not None:
            alerts.evaluate()
        return bool(logged(store, lambda e: isinstance(e, RiskEvent) and e.kind is kind))

    await eventually(seen, 15, what)
    (event,) = logged(store, lambda e: isinstance(e, RiskEvent) and e.kind is kind)
    assert isinstance(event, RiskEvent) and event.received_at.tzinfo is UTC
    return event


@asynccontextmanager
async def relayed(account: str) -> AsyncIterator[tuple[EmulatorServer, Relay, Monitor]]:
    async with asyncio.timeout(60), EmulatorServer(demo_scenario(), seed=11, publish_interval=0.1) as emu, \
            Relay(emu.port) as relay:
        accounts = [dataclasses.replace(a, ws_url=relay.ws_url)
                    for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url) if a.name == account]
        async with Monitor(accounts, options=FAST) as monitor:
            assert await monitor.wait_live(15)
            yield emu, relay, monitor


async def test_binance_margin_call_adl_and_partial_liquidation_reach_their_alerts_typed() -> None:
    async with relayed("binance-degen") as (emu, relay, monitor):
        store, alerts = monitor.store, Alerts(monitor.store)
        alerts.evaluate()
        now = emu.sim.now_ms()
        call = {"e": "MARGIN_CALL", "E": now, "cw": "1200.5", "p": [
            {"s": "ETHUSDT", "ps": "BOTH", "pa": "10", "mt": "CROSSED", "iw": "0", "mp": "2930", "up": "-900",
             "mm": "1150"}]}
        assert await relay.inject("/private/ws", orjson.dumps(call).decode()) == 1
        margin = await typed(store, RiskEventKind.MARGIN_CALL, "the margin call", alerts)
        assert (margin.account, margin.exchange, margin.symbol) == ("binance-degen", Exchange.BINANCE, None)
        alert = alerts.raised("margin_call").alert
        assert alert.level is AlertLevel.CRITICAL
        assert alert.message == "binance-degen: Binance MARGIN_CALL (risk guidance from the exchange)"
        assert store.snapshot().account("binance-degen").status is Status.CRITICAL  # held until acknowledged

        adl = {"s": "ETHUSDT", "c": "adl_autoclose", "S": "SELL", "o": "MARKET", "q": "2", "p": "0",
               "ap": "2931.25", "X": "FILLED", "x": "TRADE", "i": 78, "l": "2", "z": "2", "L": "2931.25", "T": now,
               "t": 502, "ot": "ADL", "ps": "LONG", "rp": "12.5"}
        frame = {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": adl}
        assert await relay.inject("/private/ws", orjson.dumps(frame).decode()) == 1
        event = await typed(store, RiskEventKind.AUTO_DELEVERAGE, "the ADL", alerts)
        assert (event.symbol, event.side, event.size, event.price) == (ETH, Side.LONG, 2.0, 2931.25)
        alert = alerts.raised(f"auto_deleverage {ETH} long").alert
        assert alert.level is AlertLevel.CRITICAL
        assert alert.message == f"binance-degen: {ETH} auto-deleveraged by Binance at 2931.25"

        part = {"s": "ETHUSDT", "c": f"autoclose-{now}", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": "10",
                "p": "2925.50", "ap": "2925.50", "X": "PARTIALLY_FILLED", "x": "TRADE", "i": 77, "l": "4",
                "z": "4", "L": "2925.50", "T": now, "t": 501, "ot": "LIQUIDATION", "ps": "BOTH", "rp": "-298.00"}
        frame = {"e": "ORDER_TRADE_UPDATE", "E": now, "T": now, "o": part}
        assert await relay.inject("/private/ws", orjson.dumps(frame).decode()) == 1
        liq = await typed(store, RiskEventKind.LIQUIDATION, "the partial liquidation", alerts)
        assert (liq.symbol, liq.side, liq.size, liq.price, liq.partial) == (ETH, Side.LONG, 4.0, 2925.5, True)
        alert = alerts.raised(f"liquidation {ETH} long").alert
        assert alert.level is AlertLevel.LIQUIDATION_IMMINENT and "partially liquidated" in alert.message
        closed = [e for e in alerts.log if e.kind is EventKind.CLEARED and e.alert.key.subject == "margin_call"]
        assert len(closed) == 1 and not closed[0].notify  # superseded by the liquidation it announced


async def test_a_hyperliquid_error_is_a_feed_note_never_a_liquidation() -> None:
    async with relayed("hl-isolated") as (_emu, relay, monitor):
        store, alerts = monitor.store, Alerts(monitor.store)
        alerts.evaluate()
        text = "ETH/USDC:USDC long LIQUIDATED: order could not be placed"  # an error's words, not an event
        assert await relay.inject("/ws", orjson.dumps({"channel": "error", "data": text}).decode()) == 1

        def noted() -> bool:
            alerts.evaluate()
            return bool(logged(store, lambda e: isinstance(e, FeedNote)))

        await eventually(noted, 10, "the note")
        (note,) = logged(store, lambda e: isinstance(e, FeedNote))
        assert isinstance(note, FeedNote) and note.exchange == Exchange.HYPERLIQUID
        assert note.text == f"Hyperliquid error: {text}" and note.received_at.tzinfo is UTC
        assert not logged(store, lambda e: isinstance(e, RiskEvent))
        alert = alerts.raised(f"feed_error Hyperliquid error: {text}"[:131]).alert
        assert alert.level is AlertLevel.WARNING and alert.message == f"hl-isolated: Hyperliquid error: {text}"
        view = store.snapshot().account("hl-isolated")
        assert view.liquidations == () and view.exchange_events == () and view.status is not Status.CRITICAL


async def test_a_close_found_while_blind_and_its_liquidation_reach_their_alerts_typed() -> None:
    async with running(only=("binance-degen",), autorun=False, proxy=True) as env:
        assert env.proxy is not None
        store, alerts = env.monitor.store, Alerts(env.monitor.store)
        stop = asyncio.Event()

        async def tick() -> None:
            while not stop.is_set():
                await env.emu.tick(1)
                await asyncio.sleep(0.05)

        ticker = asyncio.create_task(tick())
        try:
            assert await env.monitor.wait_live(15)
        finally:
            stop.set()
            await ticker
        alerts.evaluate()
        env.proxy.refuse = True
        env.proxy.reset_all()
        for _ in range(400):  # the demo's ETH slides until the 30x long is liquidated
            await env.emu.tick(1)
            if env.emu.liquidations:
                break
        assert env.emu.liquidations, "the emulator never liquidated the degen account"
        leg = env.emu.liquidations[0].legs[0]
        env.proxy.refuse = False
        blind = await typed(store, RiskEventKind.CLOSED_WHILE_BLIND, "the reconciliation", alerts)
        assert (blind.symbol, blind.side, blind.size, blind.exchange) == (ETH, Side.LONG, abs(leg.qty), "binance")
        liq = await typed(store, RiskEventKind.LIQUIDATION, "the history look-up", alerts)
        assert (liq.symbol, liq.side, liq.partial) == (ETH, Side.LONG, False)
        alerts.evaluate()
        assert alerts.raised(f"closed_while_blind {ETH} long").alert.level is AlertLevel.CRITICAL
        alert = alerts.raised(f"liquidation {ETH} long").alert
        assert alert.level is AlertLevel.LIQUIDATION_IMMINENT and "LIQUIDATED while the stream was blind" in (
            alert.message)


async def test_a_position_gone_since_the_last_run_without_a_liquidation_is_a_notice() -> None:
    async with running(only=("binance-main",)) as env:
        store, alerts = env.monitor.store, Alerts(env.monitor.store)
        assert await env.monitor.wait_live(15)
        alerts.evaluate()
        # What the last run saw (from the database, as the alert runtime hands it): a SOL long this run
        # does not find, and the exchange's history has no liquidation of.
        seen_at = store.clock.now() - timedelta(minutes=5)
        store.set_previous_run("binance-main", PreviousRun(seen_at, (("SOL/USDT:USDT", Side.LONG, 30.0),)))
        event = await typed(store, RiskEventKind.CLOSED, "the history look-up", alerts)
        assert (event.symbol, event.side, event.size) == ("SOL/USDT:USDT", Side.LONG, 30.0)
        alerts.evaluate()
        alert = alerts.raised("closed SOL/USDT:USDT long").alert
        assert alert.level is AlertLevel.WARNING  # a notice: the trader may have closed it himself
        assert alert.message == ("binance-main: SOL/USDT:USDT long closed while liqwatch was not running (no "
                                 "liquidation in the exchange's history)")
        assert not logged(store, lambda e: isinstance(e, RiskEvent) and e.kind is RiskEventKind.LIQUIDATION)


async def test_a_history_that_cannot_be_read_gives_a_note_then_liquidation_status_unknown() -> None:
    clock = OffsetClock()  # monotonic time jumped over the look-up's backoff (2, 4, 8, 16 s)
    async with running(only=("binance-main",), clock=clock) as env:
        store, alerts = env.monitor.store, Alerts(env.monitor.store)
        assert await env.monitor.wait_live(15)
        alerts.evaluate()
        env.emu.faults.rest_error(500, exchange="binance", seconds=60)  # the history look-up fails, each time
        seen_at = store.clock.now() - timedelta(minutes=5)
        store.set_previous_run("binance-main", PreviousRun(seen_at, (("SOL/USDT:USDT", Side.LONG, 30.0),)))
        await eventually(lambda: bool(logged(store, lambda e: isinstance(e, FeedNote) and "SOL" in e.text)), 15,
                         "the first failure's note")

        def unknown() -> bool:
            clock.jump(20.0)
            alerts.evaluate()
            return bool(logged(store, lambda e: isinstance(e, RiskEvent)
                               and e.kind is RiskEventKind.LIQUIDATION_UNKNOWN))

        await eventually(unknown, 30, "the fifth failure")
        event = await typed(store, RiskEventKind.LIQUIDATION_UNKNOWN, "the event")
        assert (event.symbol, event.side, event.size, event.exchange) == ("SOL/USDT:USDT", Side.LONG, 30.0, "binance")
        alerts.evaluate()
        (note,) = logged(store, lambda e: isinstance(e, FeedNote) and "SOL" in e.text)
        assert alerts.raised(note.subject).alert.level is AlertLevel.WARNING
        alert = alerts.raised("liquidation_unknown SOL/USDT:USDT long").alert
        assert alert.level is AlertLevel.WARNING and "liquidation status unknown" in alert.message
        assert store.snapshot().account("binance-main").danger is Status.WARNING  # it may have been liquidated
