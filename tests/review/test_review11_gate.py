"""Review of issue 11's "RestGate on the injected clock": the endpoint's gate is shared through a module-level
dict (``_GATES``, keyed by REST URL) that outlives a Monitor, and is created with the clock of whichever adapter
asked first. A later Monitor on the same endpoint gets a gate that reads another Monitor's clock."""

from __future__ import annotations

import asyncio
import socket

from liqwatch.clock import FakeClock
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.model import Exchange
from liqwatch.monitor import Monitor


def _closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: the adapters' connections fail at once, nothing leaves the host."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


async def test_a_second_monitor_on_the_same_endpoint_blocks_on_its_own_clock() -> None:
    port = _closed_port()
    acc = FeedAccount("gate-review", Exchange.BINANCE, f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}",
                      Secret("review1-gate-key-0001"), Secret("review1-gate-secret-0002"))
    async with asyncio.timeout(20):
        async with Monitor([acc], clock=FakeClock()):
            pass
        clock = FakeClock()
        async with Monitor([acc], clock=clock) as monitor:
            gate = monitor.adapters[0].gate
            gate.block(10.0, "HTTP 429 (rate limited)")
            assert gate.paused("GET /fapi/v2/account") is not None
            clock.advance(11.0)
            assert gate.paused("GET /fapi/v2/account") is None  # the block ended on this Monitor's clock
