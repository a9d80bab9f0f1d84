"""Row 7 of the fault catalogue: the exchange closes every socket at a fixed lifetime (Binance: 24 h, with
1000). liqwatch renews each socket before that, make-before-break: the new socket is open and subscribed
before the old one closes, an account's sockets are renewed apart (staggered), and the channels never leave
LIVE. Over real sockets with the emulator closing every socket at a short lifetime; every time-stamped frame
the emulator sent is handed on exactly once and in order, across the renewals."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import orjson
import pytest

from liqwatch.emulator.streams import ConnKind, StreamConn
from liqwatch.feed_channel import ChannelState
from liqwatch.feeds.stream import StreamRunner
from tests.feeds.harness import FAST, Env, eventually, running

LIFETIME_S = 3.0  # the emulator's cut, as Binance's 24 h
OPTS = replace(FAST, max_connection_age_s=2.0, renew_stagger_s=0.5, renew_overlap_s=0.4)

Stamp = Callable[[Any], int | None]


def binance_mark_time(msg: Any) -> int | None:
    data = msg.get("data", msg) if isinstance(msg, dict) else None
    if isinstance(data, dict) and data.get("e") == "markPriceUpdate" and data.get("s") == "BTCUSDT":
        return int(data["E"])
    return None


def hl_state_time(msg: Any) -> int | None:
    if isinstance(msg, dict) and msg.get("channel") == "clearinghouseState":
        return int(msg["data"]["clearinghouseState"]["time"])
    return None


def spy_delivered(stream: StreamRunner, stamp: Stamp) -> list[int]:
    """The stamps of the frames the runner hands to the adapter, in order."""
    seen: list[int] = []
    handler = stream._on_frame

    def spy(raw: str, mono: float, receive: Any) -> None:
        t = stamp(orjson.loads(raw))
        if t is not None:
            seen.append(t)
        handler(raw, mono, receive)

    stream._on_frame = spy
    return seen


def spy_sent(monkeypatch: pytest.MonkeyPatch, kind: ConnKind, stamp: Stamp) -> set[int]:
    """The stamps of every frame the emulator queued on a socket of ``kind``."""
    sent: set[int] = set()
    send = StreamConn.send_data

    def spy(self: StreamConn, text: str | bytes) -> None:
        if self.kind is kind and not self.data_stopped and not self.half_open:
            t = stamp(orjson.loads(text))
            if t is not None:
                sent.add(t)
        send(self, text)

    monkeypatch.setattr(StreamConn, "send_data", spy)
    return sent


def assert_each_once_in_order(delivered: list[int], sent: set[int]) -> None:
    assert delivered, "no frame delivered"
    assert delivered == sorted(set(delivered)), "a frame delivered twice or out of order"
    window = {t for t in sent if delivered[0] <= t <= delivered[-1]}
    assert window - set(delivered) == set(), "frames sent by the exchange were lost in a renewal"


def assert_staggered(streams: list[StreamRunner]) -> None:
    times = sorted(t for s in streams for t in s.renewed_at)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(g >= OPTS.renew_overlap_s for g in gaps), f"sockets renewed together: {gaps}"


async def renewed_while_live(env: Env, account: str, streams: list[StreamRunner], channels: list[str]) -> None:
    assert await env.monitor.wait_live(15), "never LIVE"
    chans = [env.channel(account, c) for c in channels]
    changes = [c.changes for c in chans]
    connects = [s.connects for s in streams]
    await eventually(lambda: all(s.connects >= n + 2 for s, n in zip(streams, connects, strict=True)), 20,
                     "each socket replaced twice")
    for ch, n in zip(chans, changes, strict=True):
        assert ch.states_since(n) == [], f"{ch.name} left LIVE across the renewal: {ch.states_since(n)}"
        assert ch.state is ChannelState.LIVE
    assert env.emu.hub.lifetime_closes == 0, "a socket lived until the exchange's scheduled close"
    for s, n in zip(streams, connects, strict=True):
        assert s.renewals == s.connects - n  # every new socket a renewal, no reconnect
    # Make before break: the old and the new socket were both open and fed at once (their common frames
    # were handed on once).
    assert streams[0].overlap_duplicates > 0
    assert_staggered(streams)


async def test_07_binance_sockets_are_renewed_make_before_break(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = spy_sent(monkeypatch, ConnKind.BINANCE_MARKET, binance_mark_time)
    async with running(only=("binance-main",), options=OPTS, ws_lifetime=LIFETIME_S) as env:
        adapter = env.adapter("binance-main")
        await eventually(lambda: adapter.streams != [], 10, "streams built")
        delivered = spy_delivered(adapter.market_stream, binance_mark_time)
        await renewed_while_live(env, "binance-main", [adapter.market_stream, adapter.user_stream], ["mark", "user"])
        assert_each_once_in_order(delivered, sent)


async def test_07_hyperliquid_socket_is_renewed_make_before_break(monkeypatch: pytest.MonkeyPatch) -> None:
    sent = spy_sent(monkeypatch, ConnKind.HYPERLIQUID, hl_state_time)
    async with running(only=("hl-whale",), options=OPTS, ws_lifetime=LIFETIME_S) as env:
        adapter = env.adapter("hl-whale")
        await eventually(lambda: adapter.stream is not None, 10, "stream built")
        delivered = spy_delivered(adapter.stream, hl_state_time)
        await renewed_while_live(env, "hl-whale", [adapter.stream], ["mark", "account", "funding"])
        assert_each_once_in_order(delivered, sent)


async def test_07_without_renewal_the_scheduled_close_is_a_disconnect() -> None:
    """The emulator's cut is real: with renewal out of reach, the socket is closed at its lifetime and the
    channel leaves LIVE (what the renewal above prevents)."""
    opts = replace(OPTS, max_connection_age_s=3600.0)
    async with running(only=("binance-main",), options=opts, ws_lifetime=1.5) as env:
        assert await env.monitor.wait_live(15)
        mark = env.channel("binance-main", "mark")
        n = mark.changes
        await eventually(lambda: env.emu.hub.lifetime_closes > 0, 10, "the scheduled close")
        await eventually(lambda: ChannelState.RECONNECTING in mark.states_since(n), 5, "a disconnect")
