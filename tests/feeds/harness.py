"""End-to-end harness: the emulator on 127.0.0.1 and the real adapters, with short time limits.

Waiting is always a poll with a deadline (``eventually``), never a sleep for luck.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

from liqwatch.clock import Clock
from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.emulator.scenario import Scenario
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.options import FeedOptions
from liqwatch.monitor import Monitor
from tests.feeds.tcp_proxy import TcpProxy

FAST = FeedOptions(
    market_max_age_s=1.0,
    reconcile_interval_s=1.0,
    connect_timeout_s=2.0,
    request_timeout_s=2.0,
    ping_interval_s=0.5,
    idle_timeout_s=1.5,
    supervisor_interval_s=0.05,
    backoff_base_s=0.05,
    backoff_cap_s=0.4,
    healthy_after_s=1.0,
    maintenance_retry_s=1.0,
)


async def eventually(predicate: Callable[[], bool], limit_s: float = 10.0, what: str = "condition") -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {limit_s:g} s waiting for {what}")
        await asyncio.sleep(0.02)


@dataclass
class Env:
    emu: EmulatorServer
    monitor: Monitor
    proxy: TcpProxy | None = None

    def adapter(self, name: str):  # type: ignore[no-untyped-def]
        return next(a for a in self.monitor.adapters if a.account.name == name)

    def channel(self, account: str, name: str):  # type: ignore[no-untyped-def]
        return next(c for c in self.monitor.store.channels(account) if c.name == name)


@contextlib.asynccontextmanager
async def running(
    only: tuple[str, ...] | None = None,
    options: FeedOptions = FAST,
    speed: float = 1.0,
    autorun: bool = True,
    accounts: Callable[[EmulatorServer], list[FeedAccount]] | None = None,
    clock: Clock | None = None,
    proxy: bool = False,
    scenario: Scenario | None = None,
    record_path: Path | None = None,
    **emu_kwargs: object,
) -> AsyncIterator[Env]:
    """The emulator and a Monitor on the demo's accounts; with ``proxy`` every byte (REST and websocket)
    goes through a TcpProxy that the test can break; with ``record_path`` the frames handed to the adapters
    are recorded there (as ``--record``)."""
    async with asyncio.timeout(120), contextlib.AsyncExitStack() as stack:
        emu = EmulatorServer(scenario or demo_scenario(), seed=11, speed=speed, autorun=autorun, publish_interval=0.1,
                             **emu_kwargs)  # type: ignore[arg-type]
        await stack.enter_async_context(emu)
        tcp = await stack.enter_async_context(TcpProxy(emu.port)) if proxy else None
        rest, ws = (f"http://127.0.0.1:{tcp.port}", f"ws://127.0.0.1:{tcp.port}") if tcp else (emu.rest_url, emu.ws_url)
        accs = accounts(emu) if accounts else scenario_accounts(emu.scenario, rest, ws)
        if only is not None:
            accs = [a for a in accs if a.name in only]
        monitor = await stack.enter_async_context(Monitor(accs, options=options, clock=clock,
                                                                 record_path=record_path))
        yield Env(emu, monitor, tcp)
