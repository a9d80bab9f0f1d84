"""Review of issue 13, frames a hostile exchange pushes on the Bybit and OKX private sockets: a frame whose
exchange time is far ahead, or whose data is not what the topic carries, is counted as malformed and applied in
nothing (no liquidation booked, no exchange alert raised, no freshness given). Frames are sent from the
emulator's side of the real socket (``StreamConn.send_raw``), over 127.0.0.1."""

from __future__ import annotations

import orjson
import pytest

from liqwatch.emulator.streams import ConnKind
from tests.emulator.bybit_helpers import bybit_scenario
from tests.emulator.okx_helpers import okx_scenario
from tests.feeds.harness import eventually, running

TEN_YEARS_MS = 10 * 365 * 86400 * 1000


async def test_bybit_a_bust_trade_dated_ten_years_ahead_is_refused_not_booked() -> None:
    async with running(scenario=bybit_scenario(), only=("yuki",), autorun=False, bybit_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("yuki")
        (conn,) = env.emu.hub.of(frozenset({ConnKind.BYBIT_PRIVATE}))
        now = env.emu.sim.now_ms()
        ahead = now + TEN_YEARS_MS
        frame = {"topic": "execution", "id": "x1", "creationTime": now, "data": [
            {"category": "linear", "symbol": "BTCUSDT", "execType": "BustTrade", "side": "Sell", "execQty": "0.2",
             "execPrice": "50000", "execTime": str(ahead), "execId": "e1", "execFee": "0", "feeRate": "0"}]}
        before = adapter.malformed
        conn.send_raw(orjson.dumps(frame))
        store = env.monitor.store
        await eventually(lambda: adapter.malformed > before or bool(store.liquidations("yuki")), 5,
                         "the frame refused or booked")
        assert not store.liquidations("yuki"), "a liquidation dated ten years ahead was booked"
        assert adapter.malformed == before + 1


async def test_okx_a_liquidation_warning_dated_ten_years_ahead_is_refused() -> None:
    async with running(scenario=okx_scenario(), only=("okx-iso",), autorun=False, okx_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("okx-iso")
        (conn,) = env.emu.hub.of(frozenset({ConnKind.OKX_PRIVATE}))
        ahead = env.emu.sim.now_ms() + TEN_YEARS_MS
        row = {"instId": "BTC-USDT-SWAP", "instType": "SWAP", "pos": "100", "avgPx": "60000", "mgnMode": "isolated",
               "posSide": "net", "margin": "360", "upl": "0", "liqPx": "59500", "markPx": "60000", "lever": "10",
               "mgnRatio": "1.2", "uTime": str(ahead)}
        frame = {"arg": {"channel": "liquidation-warning", "instType": "SWAP", "uid": "1"}, "data": [row]}
        before = adapter.malformed
        conn.send_raw(orjson.dumps(frame))
        store = env.monitor.store

        def warned() -> bool:
            return any("liquidation-warning" in e.line for e in store.snapshot().events)

        await eventually(lambda: adapter.malformed > before or warned(), 5, "the frame refused or applied")
        assert not warned(), "a liquidation-warning dated ten years ahead raised an alert"
        assert adapter.malformed == before + 1


async def test_okx_a_liquidation_warning_without_a_data_list_is_malformed_and_gives_no_freshness() -> None:
    async with running(scenario=okx_scenario(), only=("okx-iso",), autorun=False, okx_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("okx-iso")
        (conn,) = env.emu.hub.of(frozenset({ConnKind.OKX_PRIVATE}))
        user = adapter.user
        frames = user.frames
        before = adapter.malformed
        frame = {"arg": {"channel": "liquidation-warning", "instType": "SWAP", "uid": "1"}, "data": "garbage"}
        conn.send_raw(orjson.dumps(frame))
        await eventually(lambda: adapter.malformed > before or user.frames > frames, 5,
                         "the frame counted or taken as data")
        assert user.frames == frames, "a frame with no data renewed the user channel"
        assert adapter.malformed == before + 1


async def test_okx_a_funding_rate_push_dated_ten_years_ahead_is_refused() -> None:
    async with running(scenario=okx_scenario(), only=("okx-iso",), autorun=False, okx_idle_timeout=None) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("okx-iso")
        (conn,) = env.emu.hub.of(frozenset({ConnKind.OKX_PUBLIC}))
        now = env.emu.sim.now_ms()
        ahead = now + TEN_YEARS_MS
        row = {"instId": "BTC-USDT-SWAP", "instType": "SWAP", "fundingRate": "0.00123", "method": "current_period",
               "fundingTime": str(ahead), "nextFundingTime": str(ahead + 8 * 3600_000), "ts": str(ahead)}
        frame = {"arg": {"channel": "funding-rate", "instId": "BTC-USDT-SWAP"}, "data": [row]}
        before = adapter.malformed
        conn.send_raw(orjson.dumps(frame))

        def applied() -> bool:
            f = adapter.funding_rates.get("BTC/USDT:USDT")
            return f is not None and f.rate == pytest.approx(0.00123)

        await eventually(lambda: adapter.malformed > before or applied(), 5, "the frame refused or applied")
        assert not applied(), "a funding rate dated ten years ahead was applied"
        assert adapter.malformed == before + 1
