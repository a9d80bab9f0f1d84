"""Issue 11: ``RestGate`` read ``time.monotonic`` directly, so a test could only wait a rate limit or a
maintenance pause out in real time. It reads the injected clock now (the adapter's, for its gates)."""

from __future__ import annotations

import pytest

from liqwatch.clock import FakeClock
from liqwatch.feeds.rest import Maintenance, RateLimited, RestGate


def test_a_block_ends_when_the_injected_clock_says_so() -> None:
    clock = FakeClock()
    gate = RestGate(clock=clock)
    gate.block(120.0, "HTTP 418 (IP banned)", banned=True)
    assert gate.remaining() == pytest.approx(120.0)
    clock.advance(119.0)
    paused = gate.paused("GET /fapi/v2/account")
    assert isinstance(paused, RateLimited) and paused.banned and paused.retry_after_s == pytest.approx(1.0)
    clock.advance(1.0)
    assert gate.remaining() == 0 and gate.paused("GET /fapi/v2/account") is None and not gate.ban_in_force()


def test_a_maintenance_pause_reads_the_same_clock() -> None:
    clock = FakeClock()
    gate = RestGate(maintenance_retry_s=30.0, clock=clock)
    gate.maintenance = True
    gate.block(30.0, "HTTP 503")
    assert isinstance(gate.paused("x"), Maintenance)
    clock.jump_wall(3600)  # the wall clock jumping does not end it
    assert gate.remaining() == pytest.approx(30.0)
    clock.advance(30.0)
    assert gate.paused("x") is None
