"""Review of issue 11's one funding-interval source: each symbol's own interval, from Binance's fundingInfo,
carried per position. Attacked through a relaying proxy on 127.0.0.1 that rewrites fundingInfo's answer:
an interval no exchange uses, and an interval that changes while liqwatch runs."""

from __future__ import annotations

import orjson

from liqwatch.model import Exchange
from tests.feeds.harness import eventually
from tests.review.rest_relay import rewritten

SOL = "SOL/USDT:USDT"
ETH = "ETH/USDT:USDT"
ACCOUNT = "binance-degen"


def _info(hours: dict[str, object]) -> bytes:
    return orjson.dumps([{"symbol": s, "adjustedFundingRateCap": "0.02000000",
                          "adjustedFundingRateFloor": "-0.02000000", "fundingIntervalHours": h,
                          "disclaimer": False} for s, h in hours.items()])


async def test_an_implausible_funding_interval_is_not_taken() -> None:
    """Binance uses 1, 4 and 8 h. 0.0001 h would multiply a day's funding cost by 30,000 against 8 h (a false
    critical funding alert); 1e9 h makes ``funding.next_settlement`` raise OverflowError in the panes."""
    answer = _info({"SOLUSDT": 0.0001, "ETHUSDT": 1e9})

    def rewrite(path: str, body: bytes) -> bytes:
        return answer if path == "/fapi/v1/fundingInfo" else body

    async with rewritten((ACCOUNT,), rewrite) as env:
        store = env.monitor.store
        assert await env.monitor.wait_live(15)
        await eventually(lambda: store.snapshot().account(ACCOUNT).positions != (), 15, "positions")
        for sym in (SOL, ETH):
            hours = store.funding_interval(Exchange.BINANCE, sym)
            assert 1 / 60 <= hours <= 24 * 7, (sym, hours)


async def test_a_funding_interval_changed_mid_run_is_picked_up() -> None:
    answer = {"body": _info({"SOLUSDT": 4})}

    def rewrite(path: str, body: bytes) -> bytes:
        return answer["body"] if path == "/fapi/v1/fundingInfo" else body

    async with rewritten((ACCOUNT,), rewrite) as env:
        store = env.monitor.store
        assert await env.monitor.wait_live(15)
        await eventually(lambda: store.funding_interval(Exchange.BINANCE, SOL) == 4.0, 15, "SOL at 4 h")
        answer["body"] = _info({"SOLUSDT": 1})  # Binance moved SOL to hourly funding
        # FAST reconciles every second: five reconciliations, and still 4 h.
        await eventually(lambda: store.funding_interval(Exchange.BINANCE, SOL) == 1.0, 5, "SOL at 1 h")
