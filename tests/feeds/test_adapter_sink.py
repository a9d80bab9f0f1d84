"""Adapters never read the store: those of all four exchanges run against the emulator into a sink that is not a
MonitorStore and has no read methods at all (no book, no channels, no liquidations, no snapshot). Whatever they applied
reaches the store behind it; a read would be an AttributeError, counted as a crash in ``last_error``."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime

import aiohttp

from liqwatch.clock import SystemClock
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.feed_channel import Channel
from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.feeds.from_config import build_adapter
from liqwatch.feeds.registry import feed_entry
from liqwatch.feeds.sink import FeedSink, SinkEvent
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition
from liqwatch.loop_lag import LoopLag
from liqwatch.model import AccountSpec, Exchange
from liqwatch.rest_pause import RestPause
from liqwatch.risk.registry import risk_rules
from liqwatch.risk_events import LoggedEvent
from liqwatch.store import MonitorStore
from tests.feeds.harness import FAST, eventually


class WriteOnlySink:
    """Every FeedSink call, forwarded to a store the adapters cannot reach; nothing else."""

    def __init__(self, store: MonitorStore) -> None:
        self._store = store
        self.loop_lag: LoopLag | None = None
        self.calls: list[str] = []

    def _call(self, name: str) -> None:
        self.calls.append(name)

    def apply(self, event: SinkEvent) -> bool:
        self._call(type(event).__name__)
        return self._store.apply(event)

    def add_channel(self, channel: Channel) -> None:
        self._store.add_channel(channel)

    def report(self, event: LoggedEvent) -> None:
        self._store.report(event)

    def record_liquidation(self, liq: LiquidatedPosition, *, announce: bool = True) -> bool:
        return self._store.record_liquidation(liq, announce=announce)

    def set_rest_pause(self, account: str, pause: RestPause | None) -> None:
        self._store.set_rest_pause(account, pause)

    def forget_times_after(self, account: str, limit: datetime) -> int:
        return self._store.forget_times_after(account, limit)

    def take_closed_since_last_run(self, account: str, to_exchange: Callable[[datetime], datetime] | None = None,
                                   ) -> list[ClosedSinceLastRun]:
        return self._store.take_closed_since_last_run(account, to_exchange)

    def settle_if_recorded(self, account: str, closed: ClosedSinceLastRun) -> bool:
        return self._store.settle_if_recorded(account, closed)

    def closed_lookup_answered(self, account: str, closed: ClosedSinceLastRun, ok: bool) -> int:
        return self._store.closed_lookup_answered(account, closed, ok)

    def claim_volatility_seed(self, exchange: Exchange, symbol: str) -> bool:
        return self._store.claim_volatility_seed(exchange, symbol)

    def release_volatility_seed(self, exchange: Exchange, symbol: str) -> None:
        self._store.release_volatility_seed(exchange, symbol)

    def seed_volatility(self, exchange: Exchange, symbol: str, minute_closes: Sequence[tuple[float, float]],
                        hour_closes: Sequence[tuple[float, float]]) -> None:
        self._store.seed_volatility(exchange, symbol, minute_closes, hour_closes)


def test_the_store_is_a_feed_sink() -> None:
    sink: FeedSink = MonitorStore(SystemClock())  # mypy --strict checks the protocol here
    assert sink.loop_lag is None


async def test_both_adapters_run_against_a_write_only_sink() -> None:
    clock = SystemClock()
    store = MonitorStore(clock, market_max_age_s=FAST.market_max_age_s)
    sink = WriteOnlySink(store)
    async with asyncio.timeout(60), contextlib.AsyncExitStack() as stack:
        emu = await stack.enter_async_context(EmulatorServer(demo_scenario(), seed=11, publish_interval=0.1))
        session = await stack.enter_async_context(aiohttp.ClientSession())
        adapters: list[FeedAdapter] = []
        for acc in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url):
            assert feed_entry(acc.exchange) is not None
            store.add_account(AccountSpec(acc.name, acc.exchange), risk_rules(acc.exchange))
            adapter = build_adapter(acc, sink, session, clock, FAST)
            assert adapter is not None and not hasattr(adapter, "store")
            adapters.append(adapter)
        assert {a.account.exchange for a in adapters} == {Exchange.BINANCE, Exchange.HYPERLIQUID, Exchange.BYBIT,
                                                          Exchange.OKX}
        tasks = [asyncio.create_task(a.run()) for a in adapters]
        try:
            await eventually(store.all_live, 30, "every channel LIVE through the write-only sink")
            snap = store.snapshot()
            for a in adapters:
                assert a.last_error is None, a.last_error
                view = snap.account(a.account.name)
                # What the adapter tracks of its own positions is what the store holds.
                assert {p.symbol for p in a.held.positions()} == {p.risk.symbol for p in view.positions}
                assert a.own_channels == store.channels(a.account.name)
            assert {"AccountState", "MarkTick"} <= set(sink.calls)
        finally:
            for t in tasks:
                t.cancel()
            for t in tasks:
                with contextlib.suppress(asyncio.CancelledError):
                    await t
