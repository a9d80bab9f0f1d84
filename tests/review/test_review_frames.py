"""Hostile review of issue 9: crafted frames over a relaying proxy (tests/feeds/ws_relay.py) between liqwatch and
the emulator, on 127.0.0.1. Each test fails on the code it was written against and passes once the defect named
in its docstring is fixed."""

from __future__ import annotations

import math

import orjson
import pytest

from liqwatch.clock import OffsetClock
from liqwatch.model import Exchange
from liqwatch.status import Status
from tests.feeds.harness import FAST, eventually
from tests.feeds.test_frame_integrity import account_update, holds, leg, now_ms
from tests.feeds.ws_relay import relayed

MAIN = ("binance-main",)
HOUR = 3600.0


async def test_a_huge_position_size_never_reads_ok_with_a_nan_risk() -> None:
    """DEFECT: an ACCOUNT_UPDATE whose size is finite but absurd (``pa`` "1e306", a plausible entry) passes the
    wire checks (only non-finite numbers are refused); the position's notional overflows to inf, its risk and
    the account's become NaN, and ``RiskThresholds.status_of`` compares NaN with the thresholds (always False),
    so the account reads "ok" and fresh, with no liquidation price, until the reconciliations replace it.
    EXPECTED: such a frame is refused as malformed, or at the very least a risk that is not a number is never
    "ok" (stale or critical)."""
    async with relayed(MAIN) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        frame = account_update(now_ms(), [leg("BTCUSDT", "1e306", "50000")])
        assert await env.relay.inject("/private/ws", frame)

        def not_ok_on_nan() -> bool:
            a = store.snapshot().account("binance-main")
            bad = a.risk is not None and a.risk.risk is not None and math.isnan(a.risk.risk)
            return not (bad and a.status is Status.OK)

        await holds(not_ok_on_nan, 1.5, "the account read 'ok' on a NaN risk")


async def test_a_live_hyperliquid_liquidation_is_kept_when_the_local_clock_is_ahead_at_start() -> None:
    """DEFECT: HyperliquidAdapter keeps live liquidation fills only if ``fill.time >= self._started_at``, and
    ``_started_at`` is the LOCAL wall clock at start (``self.clock.now()``), compared with the exchange's fill
    time. With the local clock an hour fast at start, every live liquidation in the first hour is dropped as
    "older than this run": the position vanishes on clearinghouseState (closed in plain sight, no history
    lookup) and the account reads ok. Ordering must never depend on the local wall clock (issue 9, 1).
    EXPECTED: the start is taken on the exchange's clock (offset as measured), and the fill is recorded."""
    clock = OffsetClock()
    clock.jump_wall(HOUR)  # the machine's clock is an hour fast when liqwatch starts
    async with relayed(("hl-isolated",), clock=clock) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        adapter = env.adapter("hl-isolated")
        address = adapter.address
        t = env.emu.sim.now_ms() + 1000  # the exchange's own time, just after start
        fill = {"coin": "ETH", "px": "2890.1", "sz": "1.5", "side": "A", "time": t, "startPosition": "5.0",
                "dir": "Close Long", "closedPnl": "-180.135", "hash": "0x" + "cd" * 32, "oid": 7, "crossed": True,
                "fee": "0.0", "tid": 515151, "feeToken": "USDC",
                "liquidation": {"liquidatedUser": address, "markPx": "2890.1", "method": "market"}}
        frame = {"channel": "userFills", "data": {"isSnapshot": False, "user": address, "fills": [fill]}}
        assert await env.relay.inject("/ws", orjson.dumps(frame).decode())
        await eventually(lambda: bool(store.snapshot().account("hl-isolated").liquidations), 5,
                         "the live liquidation fill to be recorded")


@pytest.mark.slow(3)
async def test_hyperliquid_volatility_follows_the_marks_after_a_wall_clock_jump_forward_and_back() -> None:
    """DEFECT: Hyperliquid marks carry no time, so they are stamped with receive time plus the measured offset;
    volatility buckets are keyed on that stamp. While the local clock is an hour ahead (before the next
    reconciliation re-measures the offset) marks land in the minute/hour periods an hour in the future; after
    the clock comes back, every real mark is in an "older period" and ``RollingReturns.update`` ignores it, so
    σ stops following the market for an hour (the running close stays at the last mark of the jump).
    EXPECTED: a wall-clock jump never freezes volatility; after the offset is re-measured, the running period's
    close follows the live mark again."""
    clock = OffsetClock()
    async with relayed(("hl-whale",), clock=clock) as env:
        assert await env.monitor.wait_live(15)
        store, adapter = env.monitor.store, env.adapter("hl-whale")
        sym = "BTC/USDC:USDC"
        vol = store.volatility(Exchange.HYPERLIQUID, sym)
        ok = adapter.reconcile_ok
        clock.jump_wall(HOUR)
        # Marks taken while the local clock is ahead (the offset not re-measured yet).
        frames = env.channel("hl-whale", "mark").frames
        await eventually(lambda: env.channel("hl-whale", "mark").frames >= frames + 3, 5, "marks during the jump")
        clock.jump_wall(-HOUR)
        await eventually(lambda: adapter.reconcile_ok >= ok + 3, 10 * FAST.reconcile_interval_s, "reconciliations")

        def follows() -> bool:
            mark = store.book("hl-whale").mark(sym)
            return mark is not None and vol.minutes._period_close == mark  # the running minute's close

        await eventually(follows, 5, "σ's running minute to follow the live mark after the jump back")


async def test_a_replayed_old_hyperliquid_state_changes_nothing() -> None:
    """DEFECT: a clearinghouseState pushed on the stream with an exchange time an hour old (a replay, a lagging
    relay; inside the 24 h "not a time" limit, so not refused) is older than every position and wallet time the
    store holds, yet it is applied in part: its ``marginSummary.accountValue`` replaces the exchange's reported
    equity (``exchange_margin_balance`` in ``check --json``) while its positions and wallet are refused as
    older. A frame is applied whole or not at all, and an old one changes nothing.
    EXPECTED: the reported equity stays the exchange's current figure."""
    async with relayed(("hl-whale",)) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        marker = '"clearinghouseState"'
        await eventually(lambda: marker in env.relay.last, 5, "a real clearinghouseState frame")
        msg = orjson.loads(env.relay.last[marker])
        state = msg["data"]["clearinghouseState"]
        state["time"] = now_ms() - int(HOUR * 1000)
        state["marginSummary"]["accountValue"] = "1.0"
        assert await env.relay.inject("/ws", orjson.dumps(msg).decode())

        def reported() -> float | None:
            r = store.snapshot().account("hl-whale").risk
            return r.exchange_margin_balance if r is not None else None

        await holds(lambda: reported() != 1.0, 1.5, "an hour-old state replaced the reported equity")


async def test_an_absurd_but_finite_mark_never_reads_ok_with_a_nan_risk() -> None:
    """DEFECT (same root as the huge size): an activeAssetCtx with ``markPx`` "1.7e308" is finite and positive,
    so it is applied; hl-whale's 1.5 BTC long then has an inf notional and PnL, its risk and the account's are
    NaN, and the account reads "ok" (and fresh) on it until the next real mark. There is no plausibility bound
    on a mark, and NaN compares as "below every threshold".
    EXPECTED: the frame is refused as malformed, or a NaN risk is never "ok"."""
    async with relayed(("hl-whale",)) as env:
        assert await env.monitor.wait_live(15)
        store = env.monitor.store
        env.relay.drop = lambda path, text: '"activeAssetCtx"' in text and '"BTC"' in text

        def not_ok_on_nan() -> bool:
            a = store.snapshot().account("hl-whale")
            bad = a.risk is not None and a.risk.risk is not None and math.isnan(a.risk.risk)
            return not (bad and a.status is Status.OK)

        frame = {"channel": "activeAssetCtx", "data": {"coin": "BTC", "ctx": {
            "markPx": "1.7e308", "oraclePx": "60000", "funding": "0.0000125"}}}
        assert await env.relay.inject("/ws", orjson.dumps(frame).decode())
        await holds(not_ok_on_nan, 1.0, "the account read 'ok' on a NaN risk")


async def test_a_liquidation_fill_time_is_judged_like_every_other_exchange_time() -> None:
    """DEFECT: ``time_ok`` judges an ORDER_TRADE_UPDATE's event time ``E`` only; the liquidation record takes its
    time from the order's trade time ``o.T``, which nothing checks. A fill whose ``T`` is in seconds (or ten
    years ahead) is recorded as a liquidation of 1970-01-21 (or 2036): ``liquidated_at`` in ``check --json``, the
    incident and the record kept across restarts carry an impossible time.
    EXPECTED: the fill's own time is held to the same rule (refused or counted as a bad frame), or the record
    never carries a time that the rule would refuse."""
    from datetime import UTC, datetime, timedelta

    async with relayed(MAIN) as env:
        assert await env.monitor.wait_live(15)
        store, adapter = env.monitor.store, env.adapter("binance-main")
        e = now_ms()
        order = {"s": "BTCUSDT", "c": "autoclose-1700000000000", "S": "SELL", "o": "LIMIT", "f": "IOC",
                 "q": "0.500", "p": "40000", "ap": "40000", "x": "TRADE", "X": "FILLED", "i": 991, "l": "0.500",
                 "z": "0.500", "L": "40000", "T": e // 1000, "t": 992, "rp": "-9000", "ps": "BOTH", "ot": "LIQUIDATION"}
        frame = orjson.dumps({"e": "ORDER_TRADE_UPDATE", "E": e, "T": e, "o": order}).decode()
        before = adapter.malformed
        assert await env.relay.inject("/private/ws", frame)
        await eventually(lambda: bool(store.liquidations("binance-main")) or adapter.malformed > before, 5,
                         "the fill recorded or refused")
        now = datetime.now(UTC)
        for liq in store.liquidations("binance-main"):
            assert abs(liq.time - now) < timedelta(days=1), f"liquidated_at {liq.time.isoformat()}"


async def test_a_future_dated_funding_payment_is_refused() -> None:
    """DEFECT: ``userFundings`` entries are booked without the frame-time rule: a settlement stamped ten years
    ahead (or in seconds) is recorded as a payment (``funding_payments``, hence ``liqwatch history``, with a
    de-duplication key that makes it permanent) and counts in "funding today" / "since open" wherever the
    time windows include it. Every exchange time is judged against the exchange's clock (issue 9, 1).
    EXPECTED: the entry is refused and counted as a bad frame; no such payment is booked."""
    async with relayed(("hl-whale",)) as env:
        assert await env.monitor.wait_live(15)
        store, adapter = env.monitor.store, env.adapter("hl-whale")
        address = adapter.address
        t = now_ms() + 10 * 365 * 86400 * 1000
        frame = {"channel": "userFundings", "data": {"isSnapshot": False, "user": address, "fundings": [
            {"time": t, "coin": "BTC", "usdc": "-1000000.0", "szi": "1.5", "fundingRate": "0.5"}]}}
        before = adapter.malformed
        assert await env.relay.inject("/ws", orjson.dumps(frame).decode())
        await eventually(lambda: adapter.malformed > before or any(
            p.amount == -1_000_000.0 for _, p in store.snapshot().funding_payments), 5, "the entry booked or refused")
        assert not any(p.amount == -1_000_000.0 for _, p in store.snapshot().funding_payments)
