"""Bybit's liqPrice at the instrument's price bound: before 2023-07-31 Bybit printed a long that no positive
price liquidates with liqPrice = priceFilter.minPrice (the documented XRPUSDT long says "0.0001"); since then it
sends "" outside minPrice < liqPrice < maxPrice. Either way the exchange gives no liquidation price: the one set
beside ours is None, not a figure ours would seem to disagree with. Bounds unknown (symbol absent from
instruments-info): liqPrice kept as sent."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime
from typing import Any

import pytest

from liqwatch.clock import FakeClock
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.feeds.bybit import BybitAdapter
from liqwatch.feeds.bybit_wire import (
    PriceBounds,
    exchange_liquidation,
    parse_funding_intervals,
    parse_position,
    parse_price_bounds,
)
from liqwatch.feeds.wire import WireError
from liqwatch.model import AccountSpec, Exchange, MarginMode, Position, UnevaluatedPosition
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable
from tests.feeds.documented_bybit import response

XRP = PriceBounds(0.0001, 199.9998)  # XRPUSDT-like bounds: minPrice one tick; the maxPrice is illustrative


def _row(side: str, liq: str, symbol: str = "XRPUSDT") -> dict[str, str]:
    return {"symbol": symbol, "side": side, "size": "100", "avgPrice": "0.3615", "markPrice": "0.3432",
            "leverage": "10", "positionBalance": "0", "liqPrice": liq, "unrealisedPnl": "-1.83"}


def test_documented_instruments_info_gives_the_price_filter() -> None:
    assert parse_price_bounds(response("bybit_instruments_info_docs.json")) == {
        "BTC/USDT:USDT": PriceBounds(0.10, 1999999.80)}


def test_instruments_without_a_price_filter_or_not_linear_usdt_give_no_bounds() -> None:
    payload = {"result": {"list": [{"symbol": "ETHUSDT"}, {"symbol": "BTCPERP", "priceFilter": {"minPrice": "0.5"}},
                                   {"symbol": "SOLUSDT", "priceFilter": {"minPrice": "", "maxPrice": "0"}}]}}
    assert parse_price_bounds(payload) == {"SOL/USDT:USDT": PriceBounds(None, None)}


@pytest.mark.parametrize(("side", "liq", "bounds", "expected"), [
    ("Buy", "0.0001", XRP, None),  # a long at minPrice: no price it can print liquidates it
    ("Buy", "0.00005", XRP, None),  # below it, likewise
    ("Sell", "199.9998", XRP, None),  # a short at maxPrice
    ("Sell", "250", XRP, None),  # above it
    ("Buy", "0.3301", XRP, 0.3301),  # a real price: kept
    ("Sell", "0.3901", XRP, 0.3901),
    ("Sell", "0.0001", XRP, 0.0001),  # a short at the floor is no "no price" (it would be an odd figure: shown)
    ("Buy", "0.0001", None, 0.0001),  # bounds unknown: as sent (today's behaviour)
    ("Buy", "0.0001", PriceBounds(None, 199.9998), 0.0001),
    ("Buy", "", XRP, None),  # "": none, as ever
])
def test_the_exchange_liquidation_price_at_the_bound_is_none(
        side: str, liq: str, bounds: PriceBounds | None, expected: float | None) -> None:
    w = parse_position(_row(side, liq))
    assert w.liquidation_price == (float(liq) if liq else None)  # the wire record keeps what was sent
    assert exchange_liquidation(w, bounds) == expected


def offline_adapter() -> BybitAdapter:
    """A Bybit adapter on a store of its own, with no session: nothing can be sent."""
    clock = FakeClock(datetime(2026, 5, 1, tzinfo=UTC))
    store = MonitorStore(clock)
    store.add_account(AccountSpec("by", Exchange.BYBIT), risk_rules(Exchange.BYBIT))
    account = FeedAccount("by", Exchange.BYBIT, "http://127.0.0.1:1", "ws://127.0.0.1:1",
                          api_key=Secret("k"), api_secret=Secret("s"))
    return BybitAdapter(account, store, None, clock)  # no session: nothing is sent


def test_the_adapter_sets_none_beside_ours_for_a_long_at_the_floor(caplog: pytest.LogCaptureFixture) -> None:
    adapter = offline_adapter()
    adapter.tiers["XRP/USDT:USDT"] = TierTable.build([(0.0, math.inf, 0.01, None)])
    adapter.price_bounds["XRP/USDT:USDT"] = XRP
    with caplog.at_level(logging.DEBUG, "liqwatch.feeds.bybit"):
        for _ in range(2):  # REST and the stream both pass here: the figure sent is logged once
            pos = adapter.position_of(parse_position(_row("Buy", "0.0001")), MarginMode.CROSS)
            assert isinstance(pos, Position) and pos.exchange_liquidation_price is None
    assert sum("liqPrice 0.0001 is the instrument's price bound" in r.message for r in caplog.records) == 1
    real = adapter.position_of(parse_position(_row("Buy", "0.3301")), MarginMode.CROSS)
    assert isinstance(real, Position) and real.exchange_liquidation_price == 0.3301
    # Not evaluated (no tiers for it): the exchange's figure listed beside it follows the same rule.
    adapter.price_bounds["DOGE/USDT:USDT"] = PriceBounds(0.00001, 19.99998)
    listed = adapter.position_of(parse_position(_row("Buy", "0.00001", "DOGEUSDT")), MarginMode.CROSS)
    assert isinstance(listed, UnevaluatedPosition) and listed.exchange_liquidation_price is None
    # A symbol instruments-info did not list: liqPrice as sent.
    unknown = adapter.position_of(parse_position(_row("Buy", "0.0001", "ADAUSDT")), MarginMode.CROSS)
    assert isinstance(unknown, UnevaluatedPosition) and unknown.exchange_liquidation_price == 0.0001


def test_usdc_contracts_in_the_linear_list_are_passed_over_not_refused() -> None:
    # Category linear lists USDC perpetuals and futures too (Bybit's enum: "USDT perpetual, USDT Futures and
    # USDC contract"): read as USDT perpetuals they raised, and the whole bootstrap with them.
    payload = {"result": {"list": [{"symbol": "BTCPERP", "fundingInterval": 480, "priceFilter": {"minPrice": "0.5"}},
                                   {"symbol": "BTC-26DEC25", "priceFilter": {"minPrice": "0.5"}},
                                   {"symbol": "XRPUSDT", "fundingInterval": 240,
                                    "priceFilter": {"minPrice": "0.0001", "maxPrice": "199.9998"}}]}}
    assert parse_funding_intervals(payload) == {"XRP/USDT:USDT": 4.0}
    assert parse_price_bounds(payload) == {"XRP/USDT:USDT": XRP}


async def test_instruments_info_is_read_page_by_page() -> None:
    # Bybit answers 500 rows a page by default and lists more than 500 linear symbols: XRPUSDT may be past page 1.
    adapter = offline_adapter()
    asked: list[dict[str, str]] = []
    pages = {"": ([{"symbol": "BTCUSDT", "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80"}}], "p2"),
             "p2": ([{"symbol": "XRPUSDT", "priceFilter": {"minPrice": "0.0001", "maxPrice": "199.9998"}}], "")}

    async def public(path: str, params: dict[str, str] | None = None) -> Any:
        assert path == "/v5/market/instruments-info" and params is not None
        asked.append(params)
        rows, following = pages[params.get("cursor", "")]
        return {"retCode": 0, "result": {"category": "linear", "list": rows, "nextPageCursor": following}}

    adapter._public = public  # type: ignore[method-assign]
    bounds = parse_price_bounds(await adapter._instruments())
    assert bounds == {"BTC/USDT:USDT": PriceBounds(0.10, 1999999.80), "XRP/USDT:USDT": XRP}
    assert [p.get("cursor") for p in asked] == [None, "p2"] and {p["limit"] for p in asked} == {"1000"}
    pages["p2"] = (pages["p2"][0], "p2")  # a cursor that repeats: a broken answer, refused
    with pytest.raises(WireError, match="not a new cursor"):
        await adapter._instruments()
