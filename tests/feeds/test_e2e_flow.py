"""Positions, balances, marks and funding flow from the emulator into the engine over real sockets;
our liquidation prices agree with the emulator's independent bisection within 0.01 %."""

from __future__ import annotations

import asyncio

import pytest

from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.binance_wire import native
from liqwatch.feeds.hyperliquid_wire import coin_of
from liqwatch.model import Exchange
from tests.feeds.harness import eventually, running


async def test_every_feed_goes_live_and_positions_arrive() -> None:
    async with running() as env:
        assert await env.monitor.wait_live(15)
        snap = env.monitor.store.snapshot()
        by_name = {a.name: a for a in snap.accounts}
        emu_state = {a["name"]: a for a in env.emu.snapshot()["accounts"]}
        assert set(by_name) == set(emu_state)
        for name, acc in by_name.items():
            assert acc.fresh and acc.risk is not None
            emu_acc = emu_state[name]
            assert len(acc.positions) == len(emu_acc["positions"])
            if acc.exchange == Exchange.BINANCE:
                assert acc.risk.cross_wallet_balance == pytest.approx(emu_acc["cross_wallet"], abs=1e-6)
        assert {f.state for f in snap.feeds} == {ChannelState.LIVE}


async def test_mark_prices_keep_flowing() -> None:
    async with running(only=("binance-main", "hl-whale")) as env:
        assert await env.monitor.wait_live(15)
        book = env.monitor.store.book("binance-main")
        first = book.mark("BTC/USDT:USDT")
        frames = env.channel("binance-main", "mark").frames
        await eventually(lambda: env.channel("binance-main", "mark").frames >= frames + 5, 5, "more mark frames")
        await eventually(lambda: book.mark("BTC/USDT:USDT") != first, 10, "the BTC mark to move")
        hl = env.channel("hl-whale", "mark").frames
        await eventually(lambda: env.channel("hl-whale", "mark").frames >= hl + 5, 5, "Hyperliquid marks")


def _market_key(exchange: str, symbol: str) -> tuple[str, str]:
    """The emulator's ``markets`` key of one of our unified symbols, in each exchange's own naming."""
    if exchange in ("binance", "bybit"):
        return exchange, native(symbol)
    if exchange == "okx":
        base, quote = symbol.split(":")[0].split("/")
        return "okx", f"{base}-{quote}-SWAP"
    return "hyperliquid", coin_of(symbol)


async def _ticking(env, stop: asyncio.Event) -> None:  # type: ignore[no-untyped-def]
    while not stop.is_set():
        await env.emu.tick(1)
        await asyncio.sleep(0.02)  # ~50 steps a second: the slide to the liquidation in ~2 s


async def test_liquidation_prices_agree_with_the_emulators_independent_solve() -> None:
    async with running(autorun=False) as env:
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticking(env, stop))
        try:
            assert await env.monitor.wait_live(15)
        finally:
            stop.set()
            await ticker
        # Freeze the market, push one more round, and wait until every account saw it and reconciled.
        await env.emu.tick(1)
        await env.emu.flush()
        state = env.emu.snapshot()
        marks = {(m["exchange"], m["symbol"]): m["mark"] for m in state["markets"]}
        store = env.monitor.store

        def caught_up() -> bool:
            for acc in state["accounts"]:
                book = store.book(acc["name"])
                for p in book.positions():
                    if book.mark(p.symbol) != pytest.approx(marks[_market_key(acc["exchange"], p.symbol)],
                                                            rel=1e-9, abs=0.01):
                        return False
            return True

        await eventually(caught_up, 10, "every account to see the last marks")
        reconciled = {a.account.name: a.reconcile_ok for a in env.monitor.adapters}
        await eventually(lambda: all(a.reconcile_ok > reconciled[a.account.name] for a in env.monitor.adapters),
                         10, "a reconciliation after the freeze")
        snap = store.snapshot()
        compared = 0
        for acc in state["accounts"]:
            view = snap.account(acc["name"])
            for emu_pos in acc["positions"]:
                expected = emu_pos["liquidation_price"]
                if acc["exchange"] in ("binance", "bybit"):  # Bybit's view has Binance's symbol and side
                    symbol = f"{emu_pos['symbol'][:-4]}/USDT:USDT"
                    side = emu_pos["side"].lower() if emu_pos["side"] in ("LONG", "SHORT") else (
                        "long" if emu_pos["qty"] > 0 else "short")
                elif acc["exchange"] == "okx":  # OKX's view: inst_id and signed contracts (net mode)
                    base, quote, _ = emu_pos["inst_id"].split("-")
                    symbol = f"{base}/{quote}:{quote}"
                    side = "long" if emu_pos["contracts"] > 0 else "short"
                    if acc["mode"] == "multi" and base == "BTC":
                        # docs/dev/okx13.md, known gaps: the engine holds BTC collateral fixed when BTC moves,
                        # so a BTC position in a multi-currency account with BTC collateral differs from the
                        # emulator's solve. The demo has none; skip one if it ever does.
                        continue
                else:
                    symbol = f"{emu_pos['coin']}/USDC:USDC"
                    side = "long" if emu_pos["szi"] > 0 else "short"
                ours = next(p.risk for p in view.positions
                            if p.risk.symbol == symbol and p.risk.side.value == side)
                if expected is None:
                    assert ours.liquidation_price is None
                    continue
                assert ours.liquidation_price is not None
                assert ours.liquidation_price == pytest.approx(expected, rel=1e-4), (acc["name"], symbol, side)
                compared += 1
        assert compared >= 12  # Binance 6 + Hyperliquid 4 (less any with no liquidation price) + Bybit 1 + OKX 3
        assert {a["exchange"] for a in state["accounts"]} == {"binance", "hyperliquid", "bybit", "okx"}


@pytest.mark.slow(4)
async def test_funding_settles_into_wallets_and_history() -> None:
    # The demo starts two simulated minutes before 08:00 UTC; at 60x speed the settlement comes in ~2 s.
    async with running(only=("binance-main", "hl-whale"), speed=60.0) as env:
        assert await env.monitor.wait_live(15)

        def paid() -> bool:
            snap = env.monitor.store.snapshot()
            return all(
                any(p.funding_paid_since_open is not None for p in snap.account(n).positions)
                for n in ("binance-main", "hl-whale")
            )

        await eventually(paid, 30, "funding payments on both exchanges")
        snap = env.monitor.store.snapshot()
        for name in ("binance-main", "hl-whale"):
            for p in snap.account(name).positions:
                assert p.funding_rate is not None and p.next_funding is not None


async def test_a_liquidation_seen_live_is_reported_and_the_position_removed() -> None:
    async with running(only=("binance-degen",), autorun=False) as env:
        stop = asyncio.Event()
        ticker = asyncio.create_task(_ticking(env, stop))
        try:
            assert await env.monitor.wait_live(15)
            await eventually(lambda: bool(env.emu.liquidations), 60, "the emulator to liquidate binance-degen")
        finally:
            stop.set()
            await ticker
        store = env.monitor.store
        await eventually(lambda: len(store.book("binance-degen")) == 0, 10, "the position to close on the stream")
        await eventually(lambda: any("ETH/USDT:USDT long LIQUIDATED" in i for i in store.incidents), 5,
                         "the liquidation incident")
        assert not any("blind" in i for i in store.incidents)  # we saw it happen
