"""A generic account's key permissions, read through ccxt's own implicit methods against the emulator and judged
by the native adapters' rules: a key that can withdraw is refused, always; one that can trade only with
allow_trading_key; an id with no permission read says so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

from liqwatch.emulator import EmulatorServer, Scenario, scenario_from_toml
from liqwatch.feeds import ccxt_instance
from liqwatch.feeds.ccxt_keys import checks_keys, key_verdict, read_key_verdict, require_read_only
from liqwatch.feeds.key_permissions import KeyRefused
from tests.emulator.bybit_helpers import BYBIT_KEY_TRADE, BYBIT_SECRET_TRADE, bybit_scenario
from tests.emulator.helpers import LIMIT_S, SMALL_TOML
from tests.emulator.okx_helpers import OKX_TOML

from .support import CREDENTIALS, OPTIONS, account


def _binance(**flags: bool) -> Scenario:
    extra = "".join(f"{k} = {str(v).lower()}\n" for k, v in flags.items())
    return scenario_from_toml(SMALL_TOML.replace('name = "alice"\n', f'name = "alice"\n{extra}', 1), source="keys")


def _okx(perm: str) -> Scenario:
    text = OKX_TOML.replace('mode = "single"', f'mode = "single"\nperm = "{perm}"\nip = "127.0.0.1"', 1)
    return scenario_from_toml(text, source="okx keys")


@asynccontextmanager
async def emulator(scenario: Scenario) -> AsyncIterator[EmulatorServer]:
    server = EmulatorServer(scenario, seed=2, autorun=False, hl_idle_timeout=None, okx_idle_timeout=None)
    await asyncio.wait_for(server.start(), 10)
    try:
        yield server
    finally:
        await asyncio.wait_for(server.stop(), 10)


async def warnings_of_ccxt_key(emu: EmulatorServer, ccxt_id: str, allow_trading_key: bool = False,
                               creds: tuple[str | None, str | None, str | None, str | None] | None = None,
                               ) -> tuple[str, ...] | None:
    ex = ccxt_instance.create_exchange(account(ccxt_id, emu.rest_url, emu.ws_url, creds=creds),
                                       options=OPTIONS[ccxt_id], enable_rate_limit=False)
    try:
        async with asyncio.timeout(LIMIT_S):
            return await require_read_only(ex, allow_trading_key)
    finally:
        await ex.close()


@pytest.mark.parametrize(("scenario", "ccxt_id"), [(_binance, "binanceusdm"), (lambda: _okx("read_only"), "okx"),
                                                   (bybit_scenario, "bybit")], ids=["binanceusdm", "okx", "bybit"])
async def test_a_read_only_key_is_accepted(scenario: object, ccxt_id: str) -> None:
    async with emulator(scenario()) as emu:  # type: ignore[operator]
        warnings = await warnings_of_ccxt_key(emu, ccxt_id)
    assert warnings is not None and not any("allow_trading_key" in w for w in warnings)
    assert ("GET", {"binanceusdm": "/sapi/v1/account/apiRestrictions", "okx": "/api/v5/account/config",
                    "bybit": "/v5/user/query-api"}[ccxt_id], 200) in emu.requests


@pytest.mark.parametrize(("scenario", "ccxt_id"), [(lambda: _binance(enable_withdrawals=True), "binanceusdm"),
                                                   (lambda: _okx("read_only,withdraw"), "okx")],
                         ids=["binanceusdm", "okx"])
async def test_a_key_that_can_withdraw_is_refused_even_when_trading_keys_are_allowed(
    scenario: object, ccxt_id: str
) -> None:
    async with emulator(scenario()) as emu:  # type: ignore[operator]
        for allow in (False, True):
            with pytest.raises(KeyRefused, match="withdraw"):
                await warnings_of_ccxt_key(emu, ccxt_id, allow)


async def test_a_bybit_key_that_can_withdraw_is_refused() -> None:
    # The emulator's Bybit keys cannot withdraw: Bybit's documented answer for one that can.
    payload = {"retCode": 0, "result": {"readOnly": 0, "ips": ["1.2.3.4"],
                                        "permissions": {"Wallet": ["AccountTransfer", "Withdraw"]}}}
    for allow in (False, True):
        verdict = key_verdict("bybit", payload, allow)
        assert verdict.refused is not None and "withdraw" in verdict.refused


@pytest.mark.parametrize(("scenario", "ccxt_id", "creds"), [
    (lambda: _binance(enable_futures=True), "binanceusdm", None),
    (lambda: _okx("read_only,trade"), "okx", None),
    (bybit_scenario, "bybit", (BYBIT_KEY_TRADE, BYBIT_SECRET_TRADE, None, None)),
], ids=["binanceusdm", "okx", "bybit"])
async def test_a_trading_key_needs_allow_trading_key_and_is_then_warned(
    scenario: object, ccxt_id: str, creds: tuple[str | None, str | None, str | None, str | None] | None
) -> None:
    async with emulator(scenario()) as emu:  # type: ignore[operator]
        with pytest.raises(KeyRefused, match="allow_trading_key"):
            await warnings_of_ccxt_key(emu, ccxt_id, False, creds)
        warnings = await warnings_of_ccxt_key(emu, ccxt_id, True, creds)
    assert warnings is not None and any("accepted by allow_trading_key" in w for w in warnings)


@pytest.mark.parametrize("ccxt_id", ["binanceusdm", "bybit", "okx"])
def test_an_answer_that_does_not_state_the_permissions_refuses_the_key(ccxt_id: str) -> None:
    for payload in ({}, None, {"data": []}, {"result": {}}):
        verdict = key_verdict(ccxt_id, payload, True)
        assert verdict.refused is not None, payload


async def test_an_id_without_a_permission_read_says_so() -> None:
    assert not checks_keys("krakenfutures") and not checks_keys("hyperliquid") and checks_keys("okx")
    ex = ccxt_instance.create_exchange(account("krakenfutures", "http://127.0.0.1:9", creds=CREDENTIALS["okx"]))
    try:
        assert await read_key_verdict(ex, False) is None
    finally:
        await ex.close()
    with pytest.raises(ValueError, match="krakenfutures"):
        key_verdict("krakenfutures", {}, False)
