"""Review 2 of issue 11: the base's frame prelude (``adapter_streams.StreamWiring.frame_reader``) attacked with
crafted frames through the relaying proxy (tests/feeds/ws_relay.py), over real sockets on 127.0.0.1.

A frame is the unit of the rule "a rejected/malformed frame is counted and logged, never applied in part": the
prelude judges and dispatches a frame's events one at a time, so an event before the bad one is applied, and
each bad event counts as one more malformed frame."""

from __future__ import annotations

import logging
from typing import Any

import orjson
import pytest

from liqwatch.model import Exchange
from tests.feeds.harness import eventually
from tests.feeds.test_frame_integrity import TEN_YEARS_MS, now_ms
from tests.feeds.ws_relay import relayed

MAIN = ("binance-main",)
WALLET = "98765.4321"


def mark_item(symbol: str, price: str, e_ms: int) -> dict[str, Any]:
    return {"e": "markPriceUpdate", "E": e_ms, "s": symbol, "p": price, "P": price, "i": price, "r": "0.0001",
            "T": now_ms() + 3_600_000}


def combined(items: list[Any]) -> str:
    """One frame of Binance's combined market stream whose ``data`` is a list of mark updates."""
    return orjson.dumps({"stream": "!markPrice@arr@1s", "data": items}).decode()


BAD_SECOND = {
    "missing price": lambda: {k: v for k, v in mark_item("ETHUSDT", "1", now_ms()).items() if k != "p"},
    "time ten years ahead": lambda: {**mark_item("ETHUSDT", "3000", now_ms() + TEN_YEARS_MS)},
    "not an object": lambda: ["markPriceUpdate"],
}


@pytest.mark.parametrize("fault", list(BAD_SECOND))
async def test_a_batch_frame_with_one_bad_event_applies_none_of_it(fault: str) -> None:
    async with relayed(MAIN) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        # The real marks stop, so that only what the crafted frames carry can move BTC's mark.
        env.relay.drop = lambda path, text: path.startswith("/market") and "markPriceUpdate" in text
        key = (Exchange.BINANCE, "BTC/USDT:USDT")
        await eventually(lambda: key in adapter.applied_marks, 5, "a BTC mark applied")
        sentinel = round(adapter.applied_marks[key] * 1.001, 2)  # a plausible move: applied if dispatched
        before = adapter.malformed
        frame = combined([mark_item("BTCUSDT", str(sentinel), now_ms()), BAD_SECOND[fault]()])
        assert await env.relay.inject("/market/stream", frame) == 1
        await eventually(lambda: adapter.malformed > before, 5, "the bad frame counted")
        # A later good frame (another symbol) is applied: whatever the bad one queued is applied by then.
        eth = (Exchange.BINANCE, "ETH/USDT:USDT")
        await eventually(lambda: eth in adapter.applied_marks, 5, "an ETH mark applied")
        eth_mark = round(adapter.applied_marks[eth] * 1.0005, 2)
        assert await env.relay.inject("/market/stream", combined([mark_item("ETHUSDT", str(eth_mark), now_ms())]))
        await eventually(lambda: adapter.applied_marks.get(eth) == eth_mark, 5, "the later good frame applied")
        assert adapter.applied_marks[key] != sentinel, f"{fault}: the rejected frame's first event was applied"


async def test_one_frame_of_bad_events_counts_as_one_malformed_frame() -> None:
    async with relayed(MAIN) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        threshold = adapter.opts.malformed_reconnect_threshold
        before = adapter.malformed
        bad = [{"e": "markPriceUpdate", "E": now_ms(), "s": "BTCUSDT"}] * (threshold + 5)  # no price in any
        assert await env.relay.inject("/market/stream", combined(bad)) == 1
        # The prelude reads a frame in one synchronous call: once it is counted at all, it is counted in full.
        await eventually(lambda: adapter.malformed > before, 5, "the bad frame counted")
        assert adapter.malformed - before == 1, f"one frame counted as {adapter.malformed - before} malformed frames"


async def test_an_unknown_event_type_is_logged_without_the_frames_figures(caplog: pytest.LogCaptureFixture) -> None:
    async with relayed(MAIN) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        frame = orjson.dumps({"e": {"a": "USDT", "wb": WALLET}, "E": now_ms()}).decode()
        with caplog.at_level(logging.DEBUG, logger="liqwatch.feeds"):
            assert await env.relay.inject("/private/ws", frame) == 1
            await eventually(lambda: len(adapter.unknown_events) > 0 or adapter.malformed > 0, 5,
                             "the frame with a dict for its event type handled")
        text = "\n".join(r.getMessage() for r in caplog.records)
        assert WALLET not in text, f"the balance leaked into the log: {text}"


async def test_a_flood_of_unknown_event_types_is_logged_and_kept_within_a_bound(
        caplog: pytest.LogCaptureFixture) -> None:
    kinds = 3000
    async with relayed(MAIN) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        items = [{"e": f"evt{i:05d}", "E": now_ms()} for i in range(kinds)]
        with caplog.at_level(logging.DEBUG, logger="liqwatch.feeds"):
            assert await env.relay.inject("/market/stream", combined(items)) == 1
            await eventually(lambda: "evt02999" in adapter.unknown_events or adapter.malformed > 0, 10,
                             "the frame of unknown events read")
        lines = [r for r in caplog.records
                 if r.levelno >= logging.INFO and "unknown event type" in r.getMessage()]
        # As ``bad_item`` keeps at most 1000 reasons and logs the rest at debug level.
        assert len(adapter.unknown_events) <= 1000 and len(lines) <= 1000, (
            f"{len(adapter.unknown_events)} kinds kept, {len(lines)} lines logged from one frame")
