"""The emulator on a uvloop loop (bench_uvloop runs the demo under it): it finds the port it is bound to, though
uvloop's server is not asyncio's ``base_events.Server``, and serves on it."""

from __future__ import annotations

import asyncio

import aiohttp
import pytest

from liqwatch.emulator import EmulatorServer

from .helpers import LIMIT_S, small_scenario


def test_the_emulator_finds_its_port_on_a_uvloop_loop() -> None:
    uvloop = pytest.importorskip("uvloop")

    async def main() -> int:
        async with asyncio.timeout(LIMIT_S), EmulatorServer(small_scenario(), autorun=False) as emu:
            assert 0 < emu.port < 65536
            async with aiohttp.ClientSession() as http, http.get(f"{emu.rest_url}/fapi/v1/time") as resp:
                return resp.status

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        assert runner.run(main()) == 200
