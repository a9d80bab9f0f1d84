"""``demo_scenario`` parses its TOML once per process: each call must still give what parsing the text gives,
and a Scenario of its own (a caller may change it)."""

from __future__ import annotations

from liqwatch.emulator import demo_scenario
from liqwatch.emulator.bybit_demo import BYBIT_DEMO_TOML
from liqwatch.emulator.demo_scenario import DEMO_TOML
from liqwatch.emulator.okx_demo import OKX_DEMO_TOML
from liqwatch.emulator.scenario import scenario_from_toml


def test_the_demo_scenario_equals_a_parse_of_its_text() -> None:
    fresh = scenario_from_toml(DEMO_TOML + BYBIT_DEMO_TOML + OKX_DEMO_TOML, source="built-in demo scenario")
    for _ in range(2):  # the first call fills the cache, the second reads it
        cached = demo_scenario()
        assert cached == fresh
        assert cached.model_dump() == fresh.model_dump()


def test_each_call_gives_a_scenario_of_its_own() -> None:
    """The models are frozen, but an OKX account's balances are a dict: a change to one Scenario's must not
    reach the next one's (nor the parsed document they are made from)."""
    first, second = demo_scenario(), demo_scenario()
    assert first is not second
    assert first.okx.accounts[0].balances is not second.okx.accounts[0].balances
    first.okx.accounts[0].balances.clear()
    first.okx.accounts[0].liabilities["BTC"] = 1.0
    third = demo_scenario()
    assert third.okx.accounts[0].balances and "BTC" not in third.okx.accounts[0].liabilities
    assert third == second != first
