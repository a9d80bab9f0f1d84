"""Review 2 of issue 11: what the adapter holds (``feeds/held.py`` HeldLegs, its own record, since adapters no
longer read the store) against what the store applied, over the relaying proxy on 127.0.0.1.

When a stream version disagrees with two REST reconciliations in a row, the store takes REST's (the
``disagreement`` rule); HeldLegs keeps the stream's until a later state says otherwise: for a stream version
dated ahead of the snapshots (inside the future tolerance), until a snapshot's ``as_of`` passes its time, and
for as long as a skewed stream keeps sending versions dated ahead. Its docstring calls this harmless, but the
legs it keeps are what the hedge-mode funding split sizes each leg by (``binance_funding._split_pending``),
what a liquidation's "size before" is read from (``binance_user._size_before_fill``) and which marks a
reconnect subscribes and resyncs (``open_topics``, ``_resync_marks``)."""

from __future__ import annotations

import pytest

from liqwatch.model import Side
from tests.feeds.harness import FAST, eventually
from tests.feeds.test_frame_integrity import account_update, leg, now_ms
from tests.feeds.ws_relay import RelayEnv, relayed

MAIN = ("binance-main",)
BTC = "BTC/USDT:USDT"


def size(env: RelayEnv, account: str, symbol: str, side: Side) -> float | None:
    # The store's own book (as the original helper of test_frame_integrity read it), not a published snapshot.
    return next((p.size for p in env.monitor.store.book(account).positions() if p.key == (symbol, side)), None)


@pytest.mark.parametrize("stream_size", ["0.900", "0"])
async def test_what_the_adapter_holds_follows_the_store_when_rest_wins_a_disagreement(stream_size: str) -> None:
    async with relayed(MAIN) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        key = (BTC, Side.LONG)
        assert size(env, "binance-main", BTC, Side.LONG) == 0.5
        # Plausible (4.5 s ahead is inside the tolerance) but wrong: every snapshot looks older than it.
        assert await env.relay.inject("/private/ws", account_update(now_ms() + 4500, [leg("BTCUSDT", stream_size,
                                                                                          "58500")]))
        stream = float(stream_size) or None
        await eventually(lambda: size(env, "binance-main", BTC, Side.LONG) == stream, 5, "the stream's version")
        # Two reconciliations disagree with it: the store takes REST's 0.5 (as the store's own test shows). The
        # state that does so is applied through the adapter's ``emit``, which updates HeldLegs in the same call:
        # what it holds is read at the moment the store's changes.
        seen: list[float | None] = []

        def flipped() -> bool:
            if size(env, "binance-main", BTC, Side.LONG) != 0.5:
                return False
            held = adapter.held.get(key)
            seen.append(held.size if held is not None else None)
            return True

        await eventually(flipped, 2 * FAST.reconcile_interval_s + 1.2, "REST's state in the store")
        assert seen[0] == 0.5, f"the store holds BTC long 0.5, the adapter {seen[0] or 'nothing'}"
