"""Rows of the fault catalogue not covered by test_faults.py: 6 (our pong suppressed: the server closes, we
reconnect, nothing fatal), 19 (a 10k-frame burst is absorbed; one 5 MB frame closes the socket with 1009 and
the monitor reconnects), 24 (one account's key variable missing: that account disabled with a message naming
it, the others run). Emulator over real sockets on 127.0.0.1; crafted frames through ws_relay.Relay."""

from __future__ import annotations

import asyncio
import contextlib
import os
import textwrap
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from liqwatch.config import load_settings
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.from_config import feed_accounts
from liqwatch.monitor import Monitor
from tests.feeds.harness import FAST, eventually, running
from tests.feeds.test_frame_integrity import holds, mark_frame, now_ms
from tests.feeds.ws_relay import relayed

LIVE = ChannelState.LIVE
MAIN = ("binance-main",)


def spy_down(stream: Any) -> list[str]:
    """The reasons ``stream`` reports each time its socket goes down."""
    reasons: list[str] = []
    original = stream._on_down

    def down(reason: str) -> None:
        reasons.append(reason)
        original(reason)

    stream._on_down = down
    return reasons


async def test_06_server_closes_for_our_suppressed_pong_and_we_reconnect(monkeypatch: pytest.MonkeyPatch) -> None:
    # Binance pings every 3 min and closes after 10 min without a pong; here 0.2 s and 1 s.
    async with running(only=MAIN, binance_ping_interval=0.2, binance_pong_timeout=1.0) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        reasons = spy_down(adapter.market_stream)
        connects = adapter.market_stream.connects

        async def no_pong(self: aiohttp.ClientWebSocketResponse, message: bytes = b"") -> None:
            return None  # our pong write is blocked

        await holds(lambda: adapter.market_stream.connects == connects and not reasons, 0.5,
                    "the server keeps a socket that answers its pings")
        monkeypatch.setattr(aiohttp.ClientWebSocketResponse, "pong", no_pong)
        await eventually(lambda: any("closed by server (code 1008)" in r for r in reasons), 5,
                         "the server to close the socket that stopped answering its pings")
        monkeypatch.undo()
        await eventually(lambda: adapter.market_stream.connects > connects, 5, "a reconnect")
        await eventually(lambda: env.channel("binance-main", "mark").state is LIVE, 10, "LIVE again")
        snap = env.monitor.store.snapshot()
        assert snap.account("binance-main").disabled_reason is None  # a close, not a fatal error
        assert not [t for t in adapter._tasks if t.done()]
        assert adapter.last_error is None


async def test_19_a_burst_of_10k_frames_is_absorbed_on_one_connection() -> None:
    # The burst is the subject, not the watchdog: on a loaded machine FAST's 1.5 s idle limit can cut the
    # socket while the loop works through 10k frames, and frames sent to the cut socket are lost.
    patient = replace(FAST, idle_timeout_s=30.0, ping_interval_s=10.0, market_max_age_s=10.0)
    async with relayed(MAIN, options=patient) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        book = env.monitor.store.book("binance-main")
        connects = adapter.market_stream.connects
        env.relay.drop = lambda path, text: "markPrice" in text  # only our marks from now on
        queued: list[int] = []
        put = adapter.ticks.put

        def counting_put(key: object, item: object) -> None:
            put(key, item)
            queued.append(len(adapter.ticks))

        adapter.ticks.put = counting_put
        base = book.mark("BTC/USDT:USDT")
        assert base is not None
        t0 = now_ms()
        prices = [f"{base * (1 + (i % 7) * 1e-5):.2f}" for i in range(10_000)]
        # The last price is one no earlier frame carries: seeing it applied means the whole burst was read
        # (with the seven-price cycle alone, an early frame of the same price ended the wait).
        prices[-1] = f"{base * (1 + 9e-5):.2f}"
        assert prices[-1] not in prices[:-1]
        frames = [mark_frame("BTCUSDT", p, t0 + i // 10) for i, p in enumerate(prices)]  # 1 s of exchange time
        loop = asyncio.get_running_loop()
        start = loop.time()
        for text in frames:
            assert await env.relay.inject("/market/stream", text) == 1
        sent_in = loop.time() - start
        await eventually(lambda: book.mark("BTC/USDT:USDT") == pytest.approx(float(prices[-1])), 10,
                         "the burst's last mark to be applied")
        # Every frame read and parsed, and the hand-off to the store never held more than a mark per symbol.
        why = (adapter.malformed, adapter.implausible_times, env.monitor.store.ignored_stale_events,
               adapter.market_stream.connects - connects)
        assert len(queued) >= 10_000 and max(queued) <= 4, why
        assert adapter.market_stream.connects == connects  # kept up: no reconnect
        assert env.channel("binance-main", "mark").state is LIVE
        assert adapter.malformed == 0
        assert sent_in < 60


async def test_19_a_5_mb_frame_closes_with_1009_and_the_monitor_reconnects() -> None:
    async with relayed(MAIN) as env:
        assert await env.monitor.wait_live(15)
        adapter = env.adapter("binance-main")
        reasons = spy_down(adapter.market_stream)
        connects, malformed = adapter.market_stream.connects, adapter.malformed
        huge = '{"stream":"btcusdt@markPrice@1s","data":{"e":"markPriceUpdate","pad":"' + "x" * (5 << 20) + '"}}'
        assert len(huge) > FAST.max_frame_bytes
        # liqwatch stops reading at the frame's header and drops the socket: the relay's send may fail midway.
        with contextlib.suppress(ConnectionError):
            assert await env.relay.inject("/market/stream", huge) == 1
        await eventually(lambda: ("/market/stream", 1009) in env.relay.close_codes, 5,
                         "liqwatch to close its socket with 1009 (message too big)")
        await eventually(lambda: adapter.market_stream.connects > connects, 5, "a reconnect")
        await eventually(lambda: env.channel("binance-main", "mark").state is LIVE, 10, "LIVE again")
        assert reasons and "socket error (close code 1009)" in reasons[0] and "exceeds limit" in reasons[0]
        assert adapter.malformed == malformed  # never read into memory as a frame, so never parsed
        assert env.monitor.store.snapshot().account("binance-main").disabled_reason is None


async def test_24_a_missing_key_variable_disables_that_account_only(tmp_path: Path) -> None:
    async with running(only=()) as env:
        main = next(a for a in env.emu.scenario.binance.accounts if a.name == "binance-main")
        hl = env.emu.scenario.hyperliquid.accounts[0]
        endpoints = f'rest_url = "{env.emu.rest_url}"\nws_url = "{env.emu.ws_url}"\n'
        cfg = tmp_path / "config.toml"
        cfg.write_text(textwrap.dedent(f"""
            [[accounts]]
            name = "main"
            exchange = "binance"
            api_key_env = "LW_T24_MAIN_KEY"
            api_secret_env = "LW_T24_MAIN_SECRET"
            {endpoints}
            [[accounts]]
            name = "nokey"
            exchange = "binance"
            api_key_env = "LW_T24_NOPE_KEY"
            api_secret_env = "LW_T24_NOPE_SECRET"
            {endpoints}
            [[accounts]]
            name = "whale"
            exchange = "hyperliquid"
            address = "{hl.address}"
            {endpoints}
            """).replace("\n            ", "\n"), encoding="utf-8")
        environ = {"LW_T24_MAIN_KEY": main.api_key, "LW_T24_MAIN_SECRET": main.secret, "LW_T24_NOPE_SECRET": ""}
        settings = load_settings(cfg, environ={})
        accounts, disabled = feed_accounts(settings, environ)
        assert [a.name for a in accounts] == ["main", "whale"]
        async with Monitor(accounts, disabled=disabled, options=FAST) as monitor:
            await eventually(lambda: all(c.state is LIVE for n in ("main", "whale")
                                         for c in monitor.store.channels(n)), 15, "the other accounts LIVE")
            snap = monitor.store.snapshot()
            reason = snap.account("nokey").disabled_reason
            assert reason == ("environment variable LW_T24_NOPE_KEY is not set; "
                              "environment variable LW_T24_NOPE_SECRET is empty")
            assert snap.account("nokey").fresh is False
            assert not [a for a in monitor.adapters if a.account.name == "nokey"]  # never connects, no blank key
    assert "LW_T24_MAIN_KEY" not in os.environ
