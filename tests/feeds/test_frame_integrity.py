"""Issue 9, section 1: no frame can freeze or poison state. Crafted frames reach liqwatch through a relaying
proxy between it and the emulator (tests/feeds/ws_relay.py), over real sockets on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import orjson

from liqwatch.feed_channel import ChannelState
from liqwatch.model import Side
from liqwatch.status import Status
from tests.feeds.harness import FAST, eventually
from tests.feeds.ws_relay import RelayEnv, relayed

MAIN = ("binance-main",)
BTC = "BTC/USDT:USDT"
TEN_YEARS_MS = 10 * 365 * 86400 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


async def holds(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    """``predicate`` stays true for ``seconds`` (polled; a window to observe, not a sleep for luck)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        assert predicate(), what
        await asyncio.sleep(0.02)


def mark_frame(symbol: str, price: str, e_ms: int) -> str:
    item = {"e": "markPriceUpdate", "E": e_ms, "s": symbol, "p": price, "P": price, "i": price,
            "r": "0.0001", "T": now_ms() + 3_600_000}
    return orjson.dumps({"stream": f"{symbol.lower()}@markPrice@1s", "data": item}).decode()


def account_update(e_ms: int, positions: list[dict[str, str]], wallet: str | None = None) -> str:
    balances = [{"a": "USDT", "wb": wallet, "cw": wallet, "bc": "0"}] if wallet is not None else []
    return orjson.dumps({"e": "ACCOUNT_UPDATE", "E": e_ms, "T": e_ms,
                         "a": {"m": "ORDER", "B": balances, "P": positions}}).decode()


def leg(symbol: str, amount: str, entry: str) -> dict[str, str]:
    return {"s": symbol, "pa": amount, "ep": entry, "bep": entry, "cr": "0", "up": "0", "mt": "cross", "iw": "0",
            "ps": "BOTH", "ma": "USDT"}


def size(env: RelayEnv, account: str, symbol: str, side: Side) -> float | None:
    return next((p.size for p in env.monitor.store.book(account).positions() if p.key == (symbol, side)), None)


async def live(env: RelayEnv) -> None:
    assert await env.monitor.wait_live(15), "feeds never went LIVE"


async def test_future_dated_mark_is_rejected_and_later_marks_still_apply() -> None:
    async with relayed(MAIN) as env:
        await live(env)
        adapter, store = env.adapter("binance-main"), env.monitor.store
        before = adapter.malformed
        assert await env.relay.inject("/market/stream", mark_frame("BTCUSDT", "12345", now_ms() + TEN_YEARS_MS))
        await eventually(lambda: adapter.malformed > before, 5, "the future-dated frame counted as bad")
        assert adapter.implausible_times >= 1

        def sane() -> bool:
            return store.book("binance-main").mark(BTC) != 12345.0

        await holds(sane, 0.5, "the future-dated mark was applied")
        # Real frames keep applying: the BTC row's mark stays young, the account fresh and not critical.
        version = store.version
        await eventually(lambda: store.version > version + 3, 5, "later real frames applied")

        def healthy() -> bool:
            a = store.snapshot().account("binance-main")
            return sane() and a.fresh and a.status is not Status.CRITICAL and all(p.fresh for p in a.positions)

        await eventually(healthy, 5, "fresh, not critical")
        await holds(healthy, 1.5, "the account stayed fresh and sane")


async def test_future_dated_account_update_is_rejected() -> None:
    async with relayed(MAIN) as env:
        await live(env)
        adapter, book = env.adapter("binance-main"), env.monitor.store.book("binance-main")
        wallet = book.wallet_balance
        before = adapter.malformed
        frame = account_update(now_ms() + TEN_YEARS_MS, [leg("BTCUSDT", "9.000", "58500")], wallet="1.0")
        assert await env.relay.inject("/private/ws", frame)
        await eventually(lambda: adapter.malformed > before, 5, "the future-dated ACCOUNT_UPDATE counted as bad")
        await holds(lambda: size(env, "binance-main", BTC, Side.LONG) == 0.5 and book.wallet_balance == wallet,
                    1.5, "the future-dated ACCOUNT_UPDATE changed the account")
        assert env.monitor.store.snapshot().account("binance-main").fresh


async def test_future_dated_hyperliquid_clearinghouse_state_is_rejected() -> None:
    async with relayed(("hl-whale",)) as env:
        await live(env)
        adapter = env.adapter("hl-whale")
        marker = '"clearinghouseState"'
        await eventually(lambda: marker in env.relay.last, 5, "a real clearinghouseState frame")
        msg = orjson.loads(env.relay.last[marker])
        state = msg["data"]["clearinghouseState"]
        state["time"] = now_ms() + TEN_YEARS_MS
        for ap in state["assetPositions"]:
            if ap["position"]["coin"] == "BTC":
                ap["position"]["szi"] = "9.0"
        before = adapter.malformed
        assert await env.relay.inject("/ws", orjson.dumps(msg).decode())
        await eventually(lambda: adapter.malformed > before, 5, "the future-dated state counted as bad")
        await holds(lambda: size(env, "hl-whale", "BTC/USDC:USDC", Side.LONG) == 1.5, 1.5,
                    "the future-dated state was applied")
        assert env.monitor.store.snapshot().account("hl-whale").fresh


async def test_only_applied_marks_count_as_data() -> None:
    async with relayed(MAIN) as env:
        await live(env)
        adapter, store = env.adapter("binance-main"), env.monitor.store
        mark = env.channel("binance-main", "mark")
        # The real marks stop; only frames the store must reject arrive, several a second.
        env.relay.drop = lambda path, text: path.startswith("/market") and "markPriceUpdate" in text
        before = adapter.malformed
        bad = [lambda: mark_frame("BTCUSDT", "0", now_ms()), lambda: mark_frame("BTCUSDT", "-5", now_ms()),
               lambda: mark_frame("BTCUSDT", "60000", now_ms() // 1000)]  # E in seconds
        stop = asyncio.Event()

        async def feed_bad() -> None:
            i = 0
            while not stop.is_set():
                await env.relay.inject("/market/stream", bad[i % len(bad)]())
                i += 1
                await asyncio.sleep(0.1)

        feeder = asyncio.create_task(feed_bad())
        try:
            await eventually(lambda: mark.state is ChannelState.STALE, FAST.market_max_age_s + 1.5,
                             "the mark channel STALE on rejected frames alone")
            assert adapter.malformed >= before + 3
            await holds(lambda: mark.state is not ChannelState.LIVE
                        and not store.snapshot().account("binance-main").fresh, 1.5,
                        "rejected frames kept the account fresh")
        finally:
            stop.set()
            await feeder
        env.relay.drop = None
        await eventually(lambda: mark.state is ChannelState.LIVE, 15, "LIVE again on real frames")


async def test_account_update_with_one_bad_position_changes_nothing() -> None:
    async with relayed(MAIN) as env:
        await live(env)
        adapter, book = env.adapter("binance-main"), env.monitor.store.book("binance-main")
        wallet = book.wallet_balance
        before = adapter.malformed
        frame = account_update(now_ms(), [leg("BTCUSDT", "0.700", "58500"), leg("ETHUSDT", "-4.000", "0")],
                               wallet="1.0")
        assert await env.relay.inject("/private/ws", frame)
        await eventually(lambda: adapter.malformed > before, 5, "the frame counted as malformed")
        await holds(lambda: book.wallet_balance == wallet and size(env, "binance-main", BTC, Side.LONG) == 0.5,
                    1.5, "part of a malformed ACCOUNT_UPDATE was applied")


async def test_two_disagreeing_reconciliations_hand_the_state_to_rest() -> None:
    async with relayed(MAIN) as env:
        await live(env)
        adapter, store = env.adapter("binance-main"), env.monitor.store
        # Plausible (4.5 s ahead is inside the tolerance) but wrong: every snapshot looks older than it.
        frame = account_update(now_ms() + 4500, [leg("BTCUSDT", "0.900", "58500")])
        assert await env.relay.inject("/private/ws", frame)
        await eventually(lambda: size(env, "binance-main", BTC, Side.LONG) == 0.9, 5, "the stream's version")
        ok = adapter.reconcile_ok
        # Two reconciliations (one second apart here) disagree with it: REST's 0.5 wins, before the frame's
        # own time would have let the snapshots through.
        await eventually(lambda: size(env, "binance-main", BTC, Side.LONG) == 0.5, 2 * FAST.reconcile_interval_s + 1.2,
                         "REST state to replace the stream's after two reconciliations")
        assert adapter.reconcile_ok - ok <= 3
        assert any("disagreed with two REST reconciliations" in i for i in store.snapshot().incidents)
