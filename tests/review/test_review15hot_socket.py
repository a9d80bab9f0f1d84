"""Review of the Binance feed hot path (docs/dev/review15hot.md) over real sockets on 127.0.0.1: crafted
markPriceUpdate frames injected by the relaying proxy (tests/feeds/ws_relay.py) into the market socket, read by
the reader ``build_streams`` wires (the lean path in front of the general one, inside the guard)."""

from __future__ import annotations

from typing import Any

import orjson

from liqwatch.model import Exchange
from tests.feeds.harness import eventually
from tests.feeds.test_frame_integrity import now_ms
from tests.feeds.ws_relay import relayed

MAIN = ("binance-main",)
BTC = (Exchange.BINANCE, "BTC/USDT:USDT")
ETH = (Exchange.BINANCE, "ETH/USDT:USDT")


def mark_frame(symbol: str, price: str, rate: str = "0.00010000") -> str:
    """A markPriceUpdate in the one shape Binance sends (the lean path's), on the combined stream."""
    item: dict[str, Any] = {"e": "markPriceUpdate", "E": now_ms(), "s": symbol, "p": price, "P": price, "i": price,
                            "r": rate, "T": now_ms() + 3_600_000}
    return orjson.dumps({"stream": f"{symbol.lower()}@markPrice@1s", "data": item}).decode()


async def test_a_frame_with_an_absurd_funding_rate_is_refused_whole_over_the_socket() -> None:
    async with relayed(MAIN) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        # The real marks stop: only the crafted frames can move the marks from here.
        env.relay.drop = lambda path, text: path.startswith("/market") and "markPriceUpdate" in text
        await eventually(lambda: BTC in adapter.applied_marks and ETH in adapter.applied_marks, 5, "marks applied")
        # A fence: real frames the relay passed before the drop may still be on their way (a frame counts as
        # data when it is applied); once a frame injected after them is applied, none is left behind it.
        fence = round(adapter.applied_marks[ETH] * 0.9995, 2)
        assert await env.relay.inject("/market/stream", mark_frame("ETHUSDT", str(fence))) == 1
        await eventually(lambda: adapter.applied_marks.get(ETH) == fence, 5, "the fence frame applied")
        sentinel = round(adapter.applied_marks[BTC] * 1.001, 2)  # a plausible move: applied if the frame were
        before, recorded = adapter.malformed, adapter.mark.frames
        assert await env.relay.inject("/market/stream", mark_frame("BTCUSDT", str(sentinel), "1e300")) == 1
        await eventually(lambda: adapter.malformed > before, 5, "the frame counted as malformed")
        # A later good frame (another symbol) is applied: whatever the bad one queued would be applied by then.
        eth_mark = round(adapter.applied_marks[ETH] * 1.0005, 2)
        assert await env.relay.inject("/market/stream", mark_frame("ETHUSDT", str(eth_mark))) == 1
        await eventually(lambda: adapter.applied_marks.get(ETH) == eth_mark, 5, "the later good frame applied")
        assert adapter.applied_marks[BTC] != sentinel, "the frame with the absurd rate was applied"
        rate = env.monitor.store._markets[BTC].state.funding_rate
        assert rate is not None and abs(rate) < 1.0
        assert adapter.mark.frames == recorded + 1  # data: the good frame alone
        assert adapter.malformed == before + 1
