"""A malformed frame is logged at WARNING with what identifies the problem (account/channel, length, event type,
the parse error, a short prefix with every number masked), never with the trader's balances, sizes or entry
prices, which a user-stream frame is made of. Crafted frames go through the relaying proxy (ws_relay.Relay)
into liqwatch's real sockets."""

from __future__ import annotations

import logging

import orjson
import pytest

from liqwatch.redact import frame_summary, mask_numbers
from tests.feeds.harness import eventually
from tests.feeds.test_frame_integrity import account_update, leg, now_ms
from tests.feeds.ws_relay import relayed

WALLET = "98765.4321"
SIZE, ENTRY = "7.654321", "43210.98"
HUGE_SIZE, HUGE_ENTRY = "31415926.5", "27182818.2"  # a notional of ~8.5e14: refused, and named in the reason
AMOUNTS = (WALLET, SIZE, ENTRY, HUGE_SIZE, HUGE_ENTRY, "3.14159e+07", "2.71828e+07")


def warnings(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)


CASES = {
    # A field the parser cannot read, next to a good position and a balance.
    "bad field": (account_update(now_ms(), [leg("BTCUSDT", SIZE, ENTRY), leg("ETHUSDT", "1", "oops")], WALLET),
                  ("event ACCOUNT_UPDATE", "field 'ep' is not a number")),
    # A parse error whose text would carry the position's size and price.
    "implausible notional": (account_update(now_ms(), [leg("BTCUSDT", HUGE_SIZE, HUGE_ENTRY)], WALLET),
                             ("event ACCOUNT_UPDATE", "is not a plausible notional")),
    # Not JSON at all: the length and a masked prefix are what is left to go by.
    "truncated": (account_update(now_ms(), [leg("BTCUSDT", SIZE, ENTRY)], WALLET)[:-40], ("not JSON",)),
}


@pytest.mark.parametrize("case", list(CASES))
async def test_a_malformed_user_frame_is_logged_without_balances_or_positions(
        case: str, caplog: pytest.LogCaptureFixture) -> None:
    frame, expected = CASES[case]
    async with relayed(("binance-main",)) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        before = adapter.malformed
        with caplog.at_level(logging.WARNING, logger="liqwatch.feeds.adapter"):
            assert await env.relay.inject("/private/ws", frame) == 1
            await eventually(lambda: adapter.malformed > before, 5, "the crafted frame to be counted")
        text = warnings(caplog)
        assert "binance-main/user: malformed frame" in text
        assert f"{len(frame)} chars" in text
        for what in expected:
            assert what in text
        for amount in AMOUNTS:
            assert amount not in text, f"{amount} leaked into: {text}"


async def test_a_malformed_hyperliquid_account_frame_is_logged_without_its_figures(
        caplog: pytest.LogCaptureFixture) -> None:
    marker = '"clearinghouseState"'
    async with relayed(("hl-whale",)) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("hl-whale")
        await eventually(lambda: marker in env.relay.last, 5, "a real clearinghouseState frame")
        msg = orjson.loads(env.relay.last[marker])
        state = msg["data"]["clearinghouseState"]
        state["marginSummary"]["accountValue"] = WALLET
        state["crossMarginSummary"]["accountValue"] = WALLET
        state["assetPositions"][0]["position"]["szi"] = "not a size"
        frame = orjson.dumps(msg).decode()
        before = adapter.malformed
        with caplog.at_level(logging.WARNING, logger="liqwatch.feeds.adapter"):
            assert await env.relay.inject("/ws", frame)
            await eventually(lambda: adapter.malformed > before, 5, "the crafted frame to be counted")
        text = warnings(caplog)
        assert "hl-whale/ws: malformed frame" in text and "event clearinghouseState" in text
        assert WALLET not in text
        for ap in state["assetPositions"][1:]:
            assert ap["position"]["entryPx"] not in text


def test_the_summary_masks_numbers_but_keeps_names_and_times() -> None:
    assert mask_numbers('"s":"1000PEPEUSDT","wb":"-12.5","E":1700000000000') == '"s":"1000PEPEUSDT","wb":"#","E":#'
    assert mask_numbers("exchange time 2031-01-01T00:00:00+00:00 is 5 s ahead") == (
        "exchange time 2031-01-01T00:00:00+00:00 is # s ahead")
    summary = frame_summary('{"e":"ACCOUNT_UPDATE","listenKey":"' + "k" * 64 + '","a":{"wb":"5"}}')
    assert "event ACCOUNT_UPDATE" in summary and "k" * 64 not in summary and '"wb":"#"' in summary
