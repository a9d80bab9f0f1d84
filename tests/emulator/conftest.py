from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from liqwatch.emulator import EmulatorServer, demo_scenario

from .helpers import small_scenario


@pytest.fixture
async def emu() -> AsyncIterator[EmulatorServer]:
    """The small scenario, stepped by hand; short idle and ping timers so tests need no long waits."""
    server = EmulatorServer(small_scenario(), seed=5, autorun=False, hl_idle_timeout=None)
    await asyncio.wait_for(server.start(), 10)
    try:
        yield server
    finally:
        await asyncio.wait_for(server.stop(), 10)


@pytest.fixture
async def demo() -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(demo_scenario(), seed=1, autorun=False, hl_idle_timeout=None)
    await asyncio.wait_for(server.start(), 10)
    try:
        yield server
    finally:
        await asyncio.wait_for(server.stop(), 10)
