"""Hostile review of issue 9: REST answers rewritten by a relaying proxy (tests/review/rest_relay.py) between
liqwatch and the emulator, on 127.0.0.1. Each test fails on the code it was written against and passes once the
defect named in its docstring is fixed."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from liqwatch.model import Side
from tests.review.rest_relay import rewritten

ETH_SHORT = ("ETH/USDT:USDT", Side.SHORT)


def _one_bad_field(path: str, body: bytes, endpoint: str, field: str, value: Any) -> bytes:
    if path != endpoint:
        return body
    data = orjson.loads(body)
    for item in data if isinstance(data, list) else []:
        if isinstance(item, dict) and item.get("symbol") == "ETHUSDT" and float(item.get("positionAmt", 0)) != 0:
            item[field] = value
    return orjson.dumps(data)


async def test_one_unreadable_field_of_one_position_does_not_blind_the_whole_account() -> None:
    """DEFECT: one position of ``GET /fapi/v2/positionRisk`` with an unreadable field (here the ETH short's
    ``liquidationPrice`` "NaN"; an unknown ``marginType`` does the same) makes ``parse_position_risk`` raise for
    the whole answer: every snapshot fails ("snapshot: field 'liquidationPrice' is not finite"), the account
    never gets LIVE and its healthy BTC long is never evaluated. Issue 9 asks that one bad position never take
    the account down: it is shown with what is known, "not evaluated" with the reason.
    EXPECTED: the account syncs; BTC is evaluated; ETH is listed as not evaluated (or evaluated without the
    exchange's unreadable liquidation price)."""
    def rewrite(path: str, body: bytes) -> bytes:
        return _one_bad_field(path, body, "/fapi/v2/positionRisk", "liquidationPrice", "NaN")

    async with rewritten(("binance-main",), rewrite) as env:
        assert await env.monitor.wait_live(10), f"never LIVE: {env.adapter('binance-main').last_error}"
        view = env.monitor.store.snapshot().account("binance-main")
        held = {p.risk.symbol for p in view.positions} | {u.symbol for u in view.unevaluated}
        assert {"BTC/USDT:USDT", "ETH/USDT:USDT"} <= held


async def test_one_unreadable_premium_index_item_does_not_fail_every_reconciliation() -> None:
    """DEFECT: the snapshot also parses ``GET /fapi/v1/premiumIndex`` and a WireError in any watched symbol's
    item (here ETHUSDT's ``markPrice`` "n/a") fails the whole snapshot: the account never syncs, although the
    account and positionRisk answers are fine and the mark stream delivers ETH's mark every second.
    EXPECTED: the unreadable mark item is counted and skipped; the account syncs and goes LIVE."""
    def rewrite(path: str, body: bytes) -> bytes:
        if path != "/fapi/v1/premiumIndex":
            return body
        data = orjson.loads(body)
        for item in data if isinstance(data, list) else [data]:
            if isinstance(item, dict) and item.get("symbol") == "ETHUSDT":
                item["markPrice"] = "n/a"
        return orjson.dumps(data)

    async with rewritten(("binance-main",), rewrite) as env:
        assert await env.monitor.wait_live(10), f"never LIVE: {env.adapter('binance-main').last_error}"


@pytest.mark.slow(7)
async def test_hour_old_hyperliquid_states_alone_do_not_keep_the_account_channel_live() -> None:
    """DEFECT: every clearinghouseState pushed on the stream counts as data for the account channel
    (``state_channel.data(mono)`` after ``store.apply``, whatever the store kept), even one an hour old whose
    positions and wallet the store refuses as older. With the REST reconciliation failing and the stream
    sending only such replayed states, the account channel stays LIVE and the account fresh on state that is
    not being confirmed by anything. Only a frame that was applied counts as data (issue 9, 1).
    EXPECTED: the account channel goes STALE after its max age, as with no frames at all."""
    import asyncio

    from liqwatch.feed_channel import ChannelState
    from tests.feeds.harness import FAST, eventually
    from tests.feeds.test_frame_integrity import now_ms

    async with rewritten(("hl-whale",), lambda path, body: body) as env:
        assert await env.monitor.wait_live(15)
        relay = env.relay
        marker = '"clearinghouseState"'
        await eventually(lambda: marker in relay.last, 5, "a real clearinghouseState frame")
        old = orjson.loads(relay.last[marker])
        old["data"]["clearinghouseState"]["time"] = now_ms() - 3_600_000
        stale_frame = orjson.dumps(old).decode()
        # REST clearinghouseState answers become unreadable (reconciliation fails); real pushes are swallowed.
        relay.rewrite = lambda path, body: b'{"assetPositions": []}' if b'"assetPositions"' in body else body
        relay.drop = lambda path, text: marker in text
        account = env.channel("hl-whale", "account")
        stop = asyncio.Event()

        async def replay() -> None:
            while not stop.is_set():
                await relay.inject("/ws", stale_frame)
                await asyncio.sleep(0.3)

        task = asyncio.create_task(replay())
        try:
            await eventually(lambda: account.state is not ChannelState.LIVE, FAST.quiet_max_age_s + 3,
                             "the account channel to leave LIVE on hour-old states alone")
        finally:
            stop.set()
            await task


async def test_an_unreadable_context_of_a_coin_not_held_does_not_blind_a_hyperliquid_account() -> None:
    """DEFECT: ``parse_meta_and_ctxs`` parses the context of every coin in the universe, and one unreadable
    ``markPx`` (null, as for a coin without a price) of a coin the account does not hold raises for the whole
    answer; ``fetch_snapshot`` calls it, so every snapshot fails and the account never syncs: hl-whale's BTC and
    ETH positions are never evaluated because of some other coin. (Binance parses only the watched symbols of
    premiumIndex, and even there one bad item fails the snapshot.)
    EXPECTED: an unreadable context of a coin not held is skipped (counted); the account goes LIVE."""
    def rewrite(path: str, body: bytes) -> bytes:
        data = orjson.loads(body)
        if not (isinstance(data, list) and len(data) == 2 and isinstance(data[0], dict) and "universe" in data[0]):
            return body
        names = [a.get("name") for a in data[0]["universe"]]
        for i, name in enumerate(names):
            if name not in ("BTC", "ETH") and i < len(data[1]):
                data[1][i]["markPx"] = None
                break
        return orjson.dumps(data)

    async with rewritten(("hl-whale",), rewrite) as env:
        assert await env.monitor.wait_live(10), f"never LIVE: {env.adapter('hl-whale').last_error}"
