"""Hostile review of issue 9 section 3: partial liquidations on Binance, with frames crafted in Binance's
documented shapes and relayed to the adapter over 127.0.0.1 (as tests/feeds/test_liquidation_trace.py
does). Fails on the code it was written against; passes once the defect in its docstring is fixed."""

from __future__ import annotations

import asyncio
import dataclasses

import orjson

from liqwatch.demo_environment import scenario_accounts
from liqwatch.emulator import EmulatorServer, demo_scenario
from liqwatch.monitor import Monitor
from tests.feeds.harness import FAST, eventually
from tests.feeds.ws_relay import Relay

ACCOUNT = "binance-degen"


async def test_a_binance_slice_reported_after_its_account_update_is_still_partial() -> None:
    """DEFECT: ``BinanceUser._liquidation_of`` takes the position's size before the slice from the store's
    book at the time the ORDER_TRADE_UPDATE is handled, ignoring the order's own quantity. Binance does
    not order ACCOUNT_UPDATE and ORDER_TRADE_UPDATE for the same fill: when the ACCOUNT_UPDATE (10 ETH ->
    4 ETH) comes first, the liquidation fill of 6 ETH is judged against the 4 ETH left, ``is_partial(6, 4)``
    is False, and the slice is recorded, listed and alerted as a full "LIQUIDATED" (size 6 of 4) while 4
    ETH are still open at risk.
    EXPECTED: a slice that leaves part of the position open is partial, with its size before (10) taken
    from what was held before the fill (the position before the account update, or the fill's own
    figures), whichever frame comes first."""
    async with asyncio.timeout(60), EmulatorServer(demo_scenario(), seed=11, publish_interval=0.1) as emu, \
            Relay(emu.port) as relay:
        accounts = [dataclasses.replace(a, ws_url=relay.ws_url)
                    for a in scenario_accounts(emu.scenario, emu.rest_url, emu.ws_url) if a.name == ACCOUNT]
        async with Monitor(accounts, options=FAST) as monitor:
            store = monitor.store
            assert await monitor.wait_live(15)
            (eth,) = [p for p in store.book(ACCOUNT).positions() if p.symbol == "ETH/USDT:USDT"]
            assert eth.size == 10.0 and eth.isolated_margin is not None
            cw = store.book(ACCOUNT).wallet_balance
            now = emu.sim.now_ms() + 200
            update = {"e": "ACCOUNT_UPDATE", "E": now, "T": now, "a": {
                "m": "ORDER", "B": [{"a": "USDT", "wb": f"{cw:.8f}", "cw": f"{cw:.8f}", "bc": "0"}],
                "P": [{"s": "ETHUSDT", "pa": "4.000", "ep": f"{eth.entry_price}", "bep": f"{eth.entry_price}",
                       "cr": "-447.00", "up": "-30.00", "mt": "isolated", "iw": f"{eth.isolated_margin * 0.4:.8f}",
                       "ps": "BOTH", "ma": "USDT"}]}}
            assert await relay.inject("/private/ws", orjson.dumps(update).decode()) == 1

            def reduced() -> bool:
                return any(p.symbol == "ETH/USDT:USDT" and p.size == 4.0 for p in store.book(ACCOUNT).positions())

            await eventually(reduced, 5, "the account update to apply")
            order = {"s": "ETHUSDT", "c": f"autoclose-{now}", "S": "SELL", "o": "LIMIT", "f": "IOC", "q": "6",
                     "p": "2925.50", "ap": "2925.50", "X": "FILLED", "x": "TRADE", "i": 78, "l": "6", "z": "6",
                     "L": "2925.50", "T": now, "t": 502, "ot": "LIQUIDATION", "ps": "BOTH", "rp": "-447.00"}
            frame = {"e": "ORDER_TRADE_UPDATE", "E": now + 1, "T": now + 1, "o": order}
            assert await relay.inject("/private/ws", orjson.dumps(frame).decode()) == 1
            await eventually(lambda: bool(store.snapshot().account(ACCOUNT).liquidations), 5, "the record")
            (liq,) = store.snapshot().account(ACCOUNT).liquidations
            assert any(p.symbol == "ETH/USDT:USDT" for p in store.book(ACCOUNT).positions())  # 4 ETH still open
            assert (liq.size_taken, liq.partial, liq.size_before) == (6.0, True, 10.0), liq.describe()
