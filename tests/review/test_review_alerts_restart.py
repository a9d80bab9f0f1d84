"""Hostile review of issue 9 section 3: a liquidation while liqwatch was not running, over real sockets
against one emulator on 127.0.0.1 that outlives two runs of the monitor sharing one database file, the
second run's REST relayed by a small proxy of the test's own. Fails on the code it was written against;
passes once the defect in its docstring is fixed."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import pytest
from aiohttp import web

from liqwatch.alert_runtime import AlertRuntime
from liqwatch.config.settings import Settings
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.monitor import Monitor
from liqwatch.status import Status
from tests.feeds.harness import FAST, eventually
from tests.feeds.test_liquidation_restart import _run, _ticking
from tests.feeds.ws_relay import Relay

ACCOUNT = "binance-degen"


class _FailingForceOrders(Relay):
    """Answers the first ``failures`` requests of ``GET /fapi/v1/forceOrders`` with Binance's 503."""

    def __init__(self, target_port: int, failures: int) -> None:
        super().__init__(target_port)
        self.failures = failures
        self.failed = 0

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.path == "/fapi/v1/forceOrders" and self.failed < self.failures:
            self.failed += 1
            return web.json_response({"code": -1001, "msg": "Internal error; unable to process your request. "
                                      "Please try again."}, status=503)
        return await super()._handle(request)


@pytest.mark.slow(5)
async def test_a_failed_history_lookup_at_start_is_tried_again(tmp_path: Path) -> None:
    """DEFECT: the look-up of a position closed since the last run is handed out once
    (``LiquidationBook.take``); when the exchange answers it with one transient error (a 503 from
    ``forceOrders``), ``ExchangeAdapter._explain_closed`` logs "the exchange's history could not be read"
    (a feed-error WARNING) and never asks again. The liquidation that happened while liqwatch was not
    running is never reported as one, nothing is listed as LIQUIDATED, and the account reads "ok".
    EXPECTED: a look-up that failed is retried (with backoff) until the exchange answers, and meanwhile
    the account is not "ok"; here the liquidation is found within seconds of the one 503."""
    async with asyncio.timeout(120), EmulatorServer(demo_scenario(), seed=11, autorun=False,
                                                     publish_interval=0.1) as emu:
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticking(emu, stop))
        db = tmp_path / "liqwatch.sqlite"
        try:
            async with _run(emu, db, ACCOUNT) as (monitor, alerting):
                assert await monitor.wait_live(15)
                await alerting.on_snapshot(monitor.store.snapshot())  # the positions are saved
            await eventually(lambda: bool(emu.liquidations), 60, "the emulator to liquidate binance-degen")
            async with _FailingForceOrders(emu.port, failures=1) as relay:
                accounts = [dataclasses.replace(a, rest_url=f"http://127.0.0.1:{relay.port}")
                            for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)
                            if a.name == ACCOUNT]
                async with Monitor(accounts, options=FAST) as monitor, \
                        AlertRuntime(Settings(), db_path=db) as alerting:
                    await alerting.watch_store(monitor.store)
                    store = monitor.store
                    assert await monitor.wait_live(15)
                    await eventually(lambda: relay.failed == 1, 10, "the history lookup (answered 503)")

                    def found() -> bool:
                        return bool(store.snapshot().account(ACCOUNT).liquidations)

                    try:
                        await eventually(found, 20, "the history lookup, tried again")
                    except AssertionError:
                        view = store.snapshot().account(ACCOUNT)
                        raise AssertionError(
                            f"never reported; account reads {view.status}; incidents "
                            f"{[i for i in store.incidents if ACCOUNT in i][-2:]}") from None
                    assert store.snapshot().account(ACCOUNT).status is Status.CRITICAL
        finally:
            stop.set()
            await ticker
