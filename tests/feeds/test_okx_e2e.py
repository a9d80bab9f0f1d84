"""OKX end to end over 127.0.0.1: the adapter against the emulator's OKX v5, positions, balances, marks and
funding flow; our liquidation prices agree with the emulator's independent solve (isolated, and cross in a
multi-currency account); text ping keepalive; 64008 renews the sockets; a revoked key disables the account."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import aiohttp
import pytest

from liqwatch.emulator.demo_scenario import DEMO_TOML
from liqwatch.emulator.okx_demo import OKX_DEMO_TOML
from liqwatch.emulator.scenario import Scenario, scenario_from_toml
from liqwatch.feed_channel import ChannelState
from liqwatch.model import Exchange
from tests.emulator.okx_helpers import okx_scenario
from tests.feeds.harness import eventually, running


def _symbol(inst_id: str) -> str:
    base, quote, _ = inst_id.split("-")
    return f"{base}/{quote}:{quote}"


async def test_okx_goes_live_positions_balances_and_marks() -> None:
    async with running(scenario=okx_scenario(), okx_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)
        snap = env.monitor.store.snapshot()
        emu_state = {a["name"]: a for a in env.emu.snapshot()["accounts"]}
        for name in ("okx-iso", "okx-multi"):
            acc = snap.account(name)
            assert acc.exchange == Exchange.OKX and acc.fresh and acc.risk is not None
            assert len(acc.positions) == len(emu_state[name]["positions"])
        book = env.monitor.store.book("okx-iso")
        assert book.mark("BTC/USDT:USDT") is not None
        (iso,) = book.positions()
        assert iso.size == pytest.approx(1.0)  # 100 contracts of 0.01 BTC
        assert {f.state for f in snap.feeds} == {ChannelState.LIVE}


def _demo_with_okx() -> Scenario:
    return scenario_from_toml(DEMO_TOML + OKX_DEMO_TOML, source="demo + okx")


@pytest.mark.parametrize("scenario", [okx_scenario, _demo_with_okx], ids=["okx-small", "demo+okx"])
async def test_okx_liquidation_prices_agree_with_the_emulators_solve(scenario: Callable[[], Scenario]) -> None:
    async with running(scenario=scenario(), only=("okx-iso", "okx-multi"), autorun=False,
                       okx_idle_timeout=None) as env:
        await env.emu.tick(1)
        assert await env.monitor.wait_live(15)
        await env.emu.tick(1)
        await env.emu.flush()
        state = env.emu.snapshot()
        marks = {m["symbol"]: m["mark"] for m in state["markets"] if m["exchange"] == "okx"}
        store = env.monitor.store

        def caught_up() -> bool:
            return all(store.book(n).mark(_symbol(i)) == pytest.approx(m, rel=1e-12)
                       for n in ("okx-iso", "okx-multi") for i, m in marks.items()
                       if any(p.symbol == _symbol(i) for p in store.book(n).positions()))

        await eventually(caught_up, 10, "the last marks")
        reconciled = {a.account.name: a.reconcile_ok for a in env.monitor.adapters}
        await eventually(lambda: all(a.reconcile_ok > reconciled[a.account.name] for a in env.monitor.adapters),
                         10, "a reconciliation after the freeze")
        snap = store.snapshot()
        compared = []
        for acc in state["accounts"]:
            if acc["exchange"] != "okx":
                continue
            view = snap.account(acc["name"])
            for emu_pos in acc["positions"]:
                if acc["mode"] == "multi" and emu_pos["inst_id"] == "BTC-USDT-SWAP":
                    continue  # BTC collateral moving with the BTC swap: not modelled by the engine (known gap)
                ours = next(p.risk for p in view.positions if p.risk.symbol == _symbol(emu_pos["inst_id"]))
                assert ours.liquidation_price == pytest.approx(emu_pos["liquidation_price"], rel=1e-4), (
                    acc["name"], emu_pos["inst_id"])
                compared.append((acc["name"], emu_pos["margin"]))
        assert ("okx-iso", "isolated") in compared and ("okx-multi", "cross") in compared


@pytest.mark.slow(4)
async def test_okx_funding_flows_into_the_ledger() -> None:
    # The scenario starts 10 simulated seconds before 08:00 UTC; at 60x the settlement comes at once.
    async with running(scenario=okx_scenario(), speed=60.0, okx_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)

        def paid() -> bool:
            snap = env.monitor.store.snapshot()
            return any(p.funding_paid_since_open is not None for p in snap.account("okx-iso").positions)

        await eventually(paid, 30, "an OKX funding payment")
        for p in env.monitor.store.snapshot().account("okx-multi").positions:
            assert p.next_funding is not None


async def test_okx_text_pings_keep_a_quiet_socket_open() -> None:
    # Nothing is pushed (the market is not stepped): the adapter's text pings (after 0.5 s of silence) are
    # answered with pong, and the emulator's idle close (1 s here, OKX's 30 s) never comes.
    async with running(scenario=okx_scenario(), only=("okx-iso",), autorun=False, okx_idle_timeout=1.0) as env:
        adapter = env.adapter("okx-iso")
        await eventually(lambda: len(adapter.streams) == 2 and all(s.connected for s in adapter.streams), 10,
                         "both sockets open")
        await eventually(lambda: adapter.pings >= 6, 10, "text pings")
        assert [s.connects for s in adapter.streams] == [1, 1]
        assert adapter.malformed == 0  # the text pong is no bad frame


async def test_okx_notice_64008_renews_the_sockets() -> None:
    async with running(scenario=okx_scenario(), only=("okx-iso",), okx_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("okx-iso")
        renewals = sum(s.renewals for s in adapter.streams)
        async with aiohttp.ClientSession() as s, s.post(env.emu.rest_url + "/_emulator/okx/notice",
                                                        json={"target": "okx"}) as r:
            assert r.status == 200
        await eventually(lambda: adapter.notices >= 1, 10, "the notice read")
        await eventually(lambda: sum(s.renewals for s in adapter.streams) >= renewals + 2, 10, "both renewed")
        assert all(c.state is ChannelState.LIVE for c in env.monitor.store.channels("okx-iso"))


async def test_okx_revoked_key_disables_the_account() -> None:
    async with running(scenario=okx_scenario(), only=("okx-iso",), okx_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)
        async with aiohttp.ClientSession() as s, s.post(env.emu.rest_url + "/_emulator/okx/revoke",
                                                        json={"account": "okx-iso"}) as r:
            assert r.status == 200
        adapter = env.adapter("okx-iso")
        await eventually(lambda: adapter.last_error is not None and "50111" in adapter.last_error, 15,
                         "the account disabled on 50111")
        await asyncio.sleep(0)
