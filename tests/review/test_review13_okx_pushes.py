"""Review of issue 13, OKX private pushes, once merged into whole states dated by the oldest time they held, a
position's ``uTime`` included (the adapter now hands the store each push's own facts, dated by the push). OKX's
``uTime`` of a position is the "latest time the position was adjusted" (OKX v5, account/positions), so an open
position held for an hour dated every merged state an hour back: the store took it for older than what it held,
and the balance an ``account`` push brought was dropped, while the frame still counted as data for the user
channel (the old wallet shown as fresh). The emulator dates its positions' ``uTime`` an hour back, as OKX would
for a position opened an hour ago; the reconciliation is slowed to 30 s so that REST does not hide what the push
did; 127.0.0.1 only."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import orjson
import pytest

from liqwatch.emulator.okx_rest_account import OkxAccountRest
from liqwatch.emulator.streams import ConnKind
from tests.emulator.okx_helpers import okx_scenario
from tests.feeds.harness import FAST, eventually, running

OPTS = replace(FAST, reconcile_interval_s=30.0)
AGE_MS = 3600_000  # the position was last adjusted an hour ago


def _aged_positions(monkeypatch: pytest.MonkeyPatch, age_ms: int) -> None:
    real = OkxAccountRest.position_row

    def row(self: OkxAccountRest, a: Any, p: Any) -> Any:
        out = dict(real(self, a, p))
        out["uTime"] = str(self.sim.now_ms() - age_ms)
        return out

    monkeypatch.setattr(OkxAccountRest, "position_row", row)


async def _push_more_equity(age_ms: int, monkeypatch: pytest.MonkeyPatch) -> tuple[float, float, int, int]:
    _aged_positions(monkeypatch, age_ms)
    async with running(scenario=okx_scenario(), only=("okx-iso",), autorun=False, okx_idle_timeout=None,
                       options=OPTS) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("okx-iso")
        book = env.monitor.store.book("okx-iso")
        before = book.wallet_balance
        bal = adapter._pushed.balance
        usdt = bal.currency("USDT")
        row = {"totalEq": str(bal.total_eq + 1000), "adjEq": "", "mgnRatio": "", "mmr": "",
               "uTime": str(env.emu.sim.now_ms()),
               "details": [{"ccy": "USDT", "cashBal": str(usdt.cash + 1000), "eq": str(usdt.eq + 1000)}]}
        (conn,) = env.emu.hub.of(frozenset({ConnKind.OKX_PRIVATE}))
        frames = adapter.user.frames
        conn.send_raw(orjson.dumps({"arg": {"channel": "account", "uid": "1"}, "data": [row]}))
        await eventually(lambda: adapter.user.frames > frames or adapter.malformed > 0, 5, "the push handled")
        await eventually(lambda: book.wallet_balance != before, 1.0, "the wallet moved") if age_ms == 0 else None
        return before, book.wallet_balance, frames, adapter.user.frames


async def test_okx_an_account_push_moves_the_wallet_whatever_the_positions_age(monkeypatch: pytest.MonkeyPatch
                                                                               ) -> None:
    before, after, frames, frames_after = await _push_more_equity(AGE_MS, monkeypatch)
    assert frames_after > frames  # the push was taken as data
    assert after == pytest.approx(before + 1000), f"wallet {after} after a push of +1000 on {before}"


async def test_okx_an_account_push_moves_the_wallet_when_the_positions_are_fresh(monkeypatch: pytest.MonkeyPatch
                                                                                 ) -> None:
    # The control: the same push, positions dated now (the emulator's own dating), moves the wallet.
    before, after, _, _ = await _push_more_equity(0, monkeypatch)
    assert after == pytest.approx(before + 1000)


async def test_okx_a_close_dated_ten_years_ahead_is_refused() -> None:
    async with running(scenario=okx_scenario(), only=("okx-iso",), autorun=False, okx_idle_timeout=None,
                       options=OPTS) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("okx-iso")
        book = env.monitor.store.book("okx-iso")
        assert [p.symbol for p in book.positions()] == ["BTC/USDT:USDT"]
        ahead = env.emu.sim.now_ms() + 10 * 365 * 86400 * 1000
        row = {"instId": "BTC-USDT-SWAP", "instType": "SWAP", "pos": "0", "avgPx": "", "mgnMode": "isolated",
               "posSide": "net", "margin": "", "upl": "", "lever": "10", "uTime": str(ahead)}
        (conn,) = env.emu.hub.of(frozenset({ConnKind.OKX_PRIVATE}))
        before = adapter.malformed
        conn.send_raw(orjson.dumps({"arg": {"channel": "positions", "instType": "SWAP", "uid": "1"}, "data": [row]}))
        await eventually(lambda: adapter.malformed > before or not book.positions(), 5, "refused or applied")
        assert [p.symbol for p in book.positions()] == ["BTC/USDT:USDT"], "a close dated ten years ahead applied"
        assert adapter.malformed == before + 1
