"""Review 15: Bybit's liqPrice at the instrument's price bound, attacked with hostile or odd instruments-info
answers. The rule may only ever turn a liqPrice into "none" on bounds that can be Bybit's price filter; any
doubt keeps the figure as sent (a monitor never hides a real liquidation price). One unreadable instrument row
costs that symbol its bounds (counted, said why), never the account's bootstrap."""

from __future__ import annotations

from typing import Any

import pytest

from liqwatch.feeds.bybit_wire import PriceBounds, exchange_liquidation, parse_position, parse_price_bounds
from liqwatch.feeds.wire import WireError
from liqwatch.model import MarginMode, PositionUpdate, UnevaluatedPosition
from tests.feeds.test_bybit_price_bounds import offline_adapter

BTC = {"symbol": "BTCUSDT", "fundingInterval": 480, "priceFilter": {"minPrice": "0.10", "maxPrice": "1999999.80"}}


def _payload(*rows: Any) -> dict[str, Any]:
    return {"result": {"list": list(rows)}}


def _btc(side: str, liq: str, mark: str = "90000") -> Any:
    return parse_position({"symbol": "BTCUSDT", "side": side, "size": "1", "avgPrice": "90000", "markPrice": mark,
                           "leverage": "10", "positionBalance": "0", "liqPrice": liq, "unrealisedPnl": "0"})


@pytest.mark.parametrize("bad", ["NaN", "inf", "-inf", "1e400", "abc", True, [], {"x": 1}])
def test_an_unreadable_bound_costs_its_symbol_its_bounds_not_the_whole_answer(bad: Any) -> None:
    refused: dict[str, str] = {}
    xrp = {"symbol": "XRPUSDT", "priceFilter": {"minPrice": bad, "maxPrice": "199.9998"}}
    bounds = parse_price_bounds(_payload(BTC, xrp), refused)
    assert bounds == {"BTC/USDT:USDT": PriceBounds(0.10, 1999999.80)}
    assert "minPrice" in refused["XRP/USDT:USDT"]


def test_a_symbol_listed_twice_with_other_bounds_has_none() -> None:
    # Page 2 says BTCUSDT's floor is 100 000: read last-wins, a long's real liqPrice of 81 000 read as none.
    refused: dict[str, str] = {}
    twice = {"symbol": "BTCUSDT", "priceFilter": {"minPrice": "100000", "maxPrice": "1999999.80"}}
    assert parse_price_bounds(_payload(BTC, twice), refused) == {}
    assert "listed twice" in refused["BTC/USDT:USDT"]
    assert parse_price_bounds(_payload(BTC, dict(BTC))) == {"BTC/USDT:USDT": PriceBounds(0.10, 1999999.80)}


def test_a_floor_at_or_above_the_ceiling_is_no_price_filter() -> None:
    refused: dict[str, str] = {}
    crossed = {"symbol": "BTCUSDT", "priceFilter": {"minPrice": "200000", "maxPrice": "100"}}
    assert parse_price_bounds(_payload(crossed), refused) == {}
    assert "BTC/USDT:USDT" in refused


@pytest.mark.parametrize(("side", "liq", "bounds"), [
    ("Buy", "81000", PriceBounds(1e6, None)),  # a "floor" above the mark: no price filter of this market
    ("Buy", "81000", PriceBounds(85000.0, None)),  # a floor just below the mark: no tick-sized floor either
    ("Sell", "99000", PriceBounds(None, 1.0)),  # a "ceiling" below the mark
    ("Sell", "99000", PriceBounds(None, 95000.0)),
])
def test_a_real_liquidation_price_is_never_hidden_by_implausible_bounds(
        side: str, liq: str, bounds: PriceBounds) -> None:
    assert exchange_liquidation(_btc(side, liq), bounds) == float(liq)


def test_the_rule_still_holds_on_bounds_that_can_be_the_price_filter() -> None:
    btc = PriceBounds(0.10, 1999999.80)
    assert exchange_liquidation(_btc("Buy", "0.10"), btc) is None
    assert exchange_liquidation(_btc("Sell", "1999999.80"), btc) is None
    assert exchange_liquidation(_btc("Buy", "81000"), btc) == 81000.0


_adapter = offline_adapter  # the same offline adapter as the rule's own tests


async def test_the_bootstrap_survives_an_unreadable_instrument_row() -> None:
    # Before: one row's minPrice "NaN" (or fundingInterval "inf") raised "markets: ..." and the bootstrap was
    # retried for ever: an account not watched at all over one odd instrument.
    adapter = _adapter()
    rows = [BTC, {"symbol": "XRPUSDT", "fundingInterval": "inf", "priceFilter": {"minPrice": "NaN"}}]

    async def public(path: str, params: dict[str, str] | None = None) -> Any:
        if path == "/v5/market/instruments-info":
            return {"retCode": 0, "result": {"category": "linear", "list": rows, "nextPageCursor": ""}}
        assert path == "/v5/market/risk-limit"
        return {"retCode": 0, "result": {"list": []}}

    async def signed(path: str, params: dict[str, str] | None = None, retry_clock: bool = True) -> Any:
        return {"retCode": 0, "result": {"list": []}}

    async def nothing() -> None:
        return None

    adapter._public = public  # type: ignore[method-assign]
    adapter._signed = signed  # type: ignore[method-assign]
    adapter._sync_time = adapter._check_key = adapter._read_mode = nothing  # type: ignore[method-assign]
    await adapter.bootstrap()
    assert adapter.price_bounds == {"BTC/USDT:USDT": PriceBounds(0.10, 1999999.80)}
    assert adapter.intervals == {"BTC/USDT:USDT": 8.0}
    assert adapter.bad_items == 2
    # XRPUSDT's bounds unknown: its liqPrice kept as sent, never hidden.
    xrp = parse_position({"symbol": "XRPUSDT", "side": "Buy", "size": "100", "avgPrice": "0.5", "liqPrice": "0.0001",
                          "leverage": "10", "positionBalance": "0", "unrealisedPnl": "0"})
    listed = adapter.position_of(xrp, MarginMode.CROSS)
    assert isinstance(listed, UnevaluatedPosition) and listed.exchange_liquidation_price == 0.0001


def test_the_log_once_memory_is_bounded() -> None:
    # Each (symbol, side, liqPrice) read as none at its bound is remembered to log it once: a stream sending a
    # new sub-floor figure in every frame must not grow it without end.
    adapter = _adapter()
    adapter.price_bounds["BTC/USDT:USDT"] = PriceBounds(0.10, 1999999.80)
    for i in range(5000):
        adapter.position_of(_btc("Buy", f"{0.01 + i * 1e-6:.6f}"), MarginMode.CROSS)
    assert len(adapter._at_bound) <= 1024


def _position_frame(liq: str, mark: str = "90000") -> dict[str, Any]:
    return {"topic": "position", "creationTime": 1777593600000, "data": [{
        "symbol": "BTCUSDT", "side": "Buy", "size": "1", "entryPrice": "90000", "markPrice": mark, "leverage": "10",
        "positionBalance": "0", "liqPrice": liq, "unrealisedPnl": "0", "updatedTime": "1777593600000"}]}


@pytest.mark.parametrize(("bounds", "liq", "expected"), [
    (PriceBounds(0.10, 1999999.80), "0.10", None),  # the floor itself, as older answers sent it: none
    (PriceBounds(0.10, 1999999.80), "81000", 81000.0),  # a real price: kept
    (PriceBounds(100000.0, 1999999.80), "81000", 81000.0),  # a hostile floor above the mark: kept, not hidden
])
async def test_the_private_position_topic_follows_the_same_rule(
        bounds: PriceBounds, liq: str, expected: float | None) -> None:
    adapter = _adapter()
    adapter.price_bounds["BTC/USDT:USDT"] = bounds
    adapter.margin_mode = MarginMode.CROSS
    clock = adapter.clock
    apply = adapter._on_position(_position_frame(liq), "", 0.0, clock.now())
    emitted: list[Any] = []
    adapter.emit = lambda event: emitted.append(event) or True  # type: ignore[method-assign]
    try:
        apply()
    finally:
        for task in list(adapter._tasks):  # the symbol's σ seed: not the question here
            task.cancel()
    (update,) = [e for e in emitted if isinstance(e, PositionUpdate)]
    assert update.position is not None and update.position.exchange_liquidation_price == expected


@pytest.mark.parametrize(("cursor_of", "match"), [
    (lambda n: 5, "nextPageCursor 5 is not a new cursor"),  # a number: no cursor Bybit sends
    (lambda n: ["p"], "is not a new cursor"),
    (lambda n: f"p{n}", "more than 10 pages"),  # a new cursor on every page, for ever
    (lambda n: "p1" if n % 2 else "p2", "is not a new cursor"),  # two cursors in turn
])
async def test_instruments_info_paging_that_cannot_end_is_refused_in_bounded_requests(
        cursor_of: Any, match: str) -> None:
    adapter = _adapter()
    asked = [0]

    async def public(path: str, params: dict[str, str] | None = None) -> Any:
        asked[0] += 1
        return {"retCode": 0, "result": {"list": [BTC], "nextPageCursor": cursor_of(asked[0])}}

    adapter._public = public  # type: ignore[method-assign]
    with pytest.raises(WireError, match=match):
        await adapter._instruments()
    assert asked[0] <= 10
