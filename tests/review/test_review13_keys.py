"""Review of issue 13, key permissions at start: a key whose permissions the exchange does not state is not used
(Bybit's rule in ``bybit_client.key_verdict``: "a key whose permissions are unknown is not used"). OKX's
``account/config`` with an empty ``perm`` says nothing of what the key may do; a ``perm`` word the adapter does not
know ("Withdraw", as a gateway might spell it) is read as trading, not as a permission it cannot judge."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator.scenario import Scenario, scenario_from_toml
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.account_config import FeedAccount
from tests.emulator.okx_helpers import OKX_TOML
from tests.feeds.harness import eventually, running


def _with_perm(perm: str) -> Scenario:
    text = OKX_TOML.replace('mode = "single"', f'mode = "single"\nperm = "{perm}"\nip = "127.0.0.1"', 1)
    return scenario_from_toml(text, source="okx perms")


async def test_okx_a_key_with_no_stated_permissions_is_not_used() -> None:
    async with running(scenario=_with_perm(""), only=("okx-iso",), okx_idle_timeout=None) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account("okx-iso").disabled_reason is not None
                         or all(c.state is ChannelState.LIVE for c in store.channels("okx-iso")), 10,
                         "okx-iso live or refused")
        view = store.snapshot().account("okx-iso")
        assert view.disabled_reason is not None and "permission" in view.disabled_reason, (view.disabled_reason,
                                                                                          view.warnings)


def _trading_allowed(emu: Any) -> list[FeedAccount]:
    return [replace(a, allow_trading_key=True) for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url)]


async def test_okx_a_key_with_a_permission_not_known_is_not_used_even_with_allow_trading_key() -> None:
    async with running(scenario=_with_perm("read_only,Withdraw"), only=("okx-iso",), okx_idle_timeout=None,
                       accounts=_trading_allowed) as env:
        store = env.monitor.store
        await eventually(lambda: store.snapshot().account("okx-iso").disabled_reason is not None
                         or all(c.state is ChannelState.LIVE for c in store.channels("okx-iso")), 10,
                         "okx-iso live or refused")
        view = store.snapshot().account("okx-iso")
        assert view.disabled_reason is not None, f"used, with warnings {view.warnings}"
