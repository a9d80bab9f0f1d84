"""Hostile review of issue 9: REST answers rewritten by a relaying proxy (tests/review/rest_relay.py) between
liqwatch and the emulator, on 127.0.0.1. Each test fails on the code it was written against and passes once the
defect named in its docstring is fixed."""

from __future__ import annotations

from typing import Any

import orjson

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
