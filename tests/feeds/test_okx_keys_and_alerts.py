"""OKX key permissions at start (``account/config`` perm and ip) and the liquidation-warning channel raised as
an exchange alert, over 127.0.0.1 against the emulator."""

from __future__ import annotations

import pytest

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer
from liqwatch.emulator.scenario import Scenario, scenario_from_toml
from liqwatch.feeds.account_config import FeedAccount
from tests.emulator.okx_helpers import OKX_TOML
from tests.feeds.harness import eventually, running


def _with(perm: str, ip: str = "127.0.0.1") -> Scenario:
    text = OKX_TOML.replace('mode = "single"', f'mode = "single"\nperm = "{perm}"\nip = "{ip}"', 1)
    return scenario_from_toml(text, source="okx perms")


def _trading_allowed(emu: EmulatorServer) -> list[FeedAccount]:
    from dataclasses import replace

    return [replace(a, allow_trading_key=True) for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)]


@pytest.mark.parametrize(("perm", "why"), [("read_only,withdraw", "can withdraw"), ("read_only,trade", "can trade")])
async def test_a_key_that_can_do_more_than_read_is_refused(perm: str, why: str) -> None:
    async with running(scenario=_with(perm), only=("okx-iso",), okx_idle_timeout=None) as env:
        adapter = env.adapter("okx-iso")
        await eventually(lambda: adapter.last_error is not None and why in adapter.last_error, 10, "refused")
        view = env.monitor.store.snapshot().account("okx-iso")
        assert view.disabled_reason is not None and why in view.disabled_reason


async def test_trading_key_accepted_with_allow_trading_key_and_unbound_ip_warned() -> None:
    async with running(scenario=_with("read_only,trade", ip=""), only=("okx-iso",), okx_idle_timeout=None,
                       accounts=_trading_allowed) as env:
        assert await env.monitor.wait_live(15)
        warnings = env.monitor.store.snapshot().account("okx-iso").warnings
        assert any("can trade" in w for w in warnings) and any("no IP" in w for w in warnings)


async def test_a_withdraw_key_is_refused_even_with_allow_trading_key() -> None:
    async with running(scenario=_with("read_only,withdraw"), only=("okx-iso",), okx_idle_timeout=None,
                       accounts=_trading_allowed) as env:
        adapter = env.adapter("okx-iso")
        await eventually(lambda: adapter.last_error is not None and "withdraw" in adapter.last_error, 10, "refused")


async def test_liquidation_warning_is_an_exchange_alert() -> None:
    # The isolated long's margin cut so that OKX's ratio is below the warning threshold (1.5) but above 1.
    text = OKX_TOML.replace("isolated_margin = 6000.0", "isolated_margin = 360.0")
    async with running(scenario=scenario_from_toml(text, source="okx warn"), only=("okx-iso",),
                       okx_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)

        def warned() -> bool:
            snap = env.monitor.store.snapshot()
            return any("liquidation-warning" in e.line for e in snap.events)

        await eventually(warned, 10, "the liquidation-warning event")
        assert env.monitor.store.snapshot().account("okx-iso").exchange_events
