"""Adapter contract, row 7 of the fault catalogue, for every exchange profile: the exchange closes every socket at
a fixed lifetime (Binance: 24 h, with 1000). liqwatch renews each socket before that, make-before-break: the
new socket is open and subscribed before the old one closes, an account's sockets are renewed apart
(staggered), and the channels never leave LIVE. The emulator closes every socket at a short lifetime; every
time-stamped frame the emulator sent is handed on (as ``--record`` records it) exactly once and in order."""

from __future__ import annotations

import gzip
import itertools
import json
import logging
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from liqwatch.clock import OffsetClock
from liqwatch.emulator.streams import ConnKind, StreamConn
from liqwatch.feed_channel import ChannelState
from tests.feeds.contract.observe import LIVE, Logs, all_live, channel, connects, open_sockets
from tests.feeds.contract.profiles import BINANCE, ExchangeProfile, Stamp
from tests.feeds.harness import FAST, eventually, running

LIFETIME_S = 2.0  # the emulator's cut, as Binance's 24 h
OPTS = replace(FAST, max_connection_age_s=1.3, renew_stagger_s=0.35, renew_overlap_s=0.3)
RENEWED = "socket renewed make-before-break"


def spy_sent(monkeypatch: pytest.MonkeyPatch, kind: ConnKind, stamp: Stamp) -> set[int]:
    """The stamps of every frame the emulator queued on a socket of ``kind`` (the exchange's side)."""
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


def delivered(record: Path, account: str, stamp: Stamp) -> list[int]:
    """The stamps of the frames handed to the adapter, in order, as the recording has them."""
    out = []
    with gzip.open(record, "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            if row["src"].startswith(f"{account}/"):
                try:
                    t = stamp(orjson.loads(row["raw"]))
                except orjson.JSONDecodeError:
                    continue
                if t is not None:
                    out.append(t)
    return out


def assert_each_once_in_order(got: list[int], sent: set[int]) -> None:
    assert got, "no frame delivered"
    assert got == sorted(set(got)), "a frame delivered twice or out of order"
    window = {t for t in sent if got[0] <= t <= got[-1]}
    assert window - set(got) == set(), "frames sent by the exchange were lost in a renewal"


async def test_07_sockets_are_renewed_make_before_break(profile: ExchangeProfile, log: Logs, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    assert profile.renewal_stamp is not None
    sent = spy_sent(monkeypatch, profile.market_kind, profile.renewal_stamp)
    record = tmp_path / "frames.jsonl.gz"
    async with running(only=(profile.account,), options=OPTS, ws_lifetime=LIFETIME_S, record_path=record) as env:
        assert await env.monitor.wait_live(15), "never LIVE"
        chans = [channel(env.monitor, profile.account, c) for c in profile.channels]
        changes = [c.changes for c in chans]
        before = [connects(env.emu, k) for k in profile.kinds]
        both_open = False

        def replaced_twice() -> bool:
            nonlocal both_open
            both_open = both_open or open_sockets(env.emu, profile.market_kind) >= 2
            return all(connects(env.emu, k) >= n + 2 for k, n in zip(profile.kinds, before, strict=True))

        await eventually(replaced_twice, 20, "each socket replaced twice")
        for ch, n in zip(chans, changes, strict=True):
            assert ch.states_since(n) == [], f"{ch.name} left LIVE across the renewal: {ch.states_since(n)}"
            assert ch.state is ChannelState.LIVE
        assert env.emu.hub.lifetime_closes == 0, "a socket lived until the exchange's scheduled close"
        # The log names the stream, not the account: this test runs one account only.
        def renewed() -> list[logging.LogRecord]:
            return [r for r in log.records if RENEWED in r.getMessage()]

        new = sum(connects(env.emu, k) for k in profile.kinds) - sum(before)
        # The emulator counts a socket when it connects, the stream logs its renewal once it has taken over
        # (after the overlap): under load the last one's line can come a moment after the count.
        await eventually(lambda: len(renewed()) >= new, 5, "a renewal logged for every new socket")
        renewals = renewed()
        assert len(renewals) == new  # every new socket a renewal, no reconnect
        # Make before break: the old and the new socket were both open at once (their common frames were
        # handed on once, below).
        assert both_open
        times = sorted(r.created for r in renewals)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert all(g >= OPTS.renew_overlap_s for g in gaps), f"sockets renewed together: {gaps}"
    assert_each_once_in_order(delivered(record, profile.account, profile.renewal_stamp), sent)


async def test_07_without_renewal_the_scheduled_close_is_a_disconnect(profile: ExchangeProfile) -> None:
    """The emulator's cut is real: with renewal out of reach, the socket is closed at its lifetime and the
    channel leaves LIVE (what the renewal above prevents)."""
    opts = replace(OPTS, max_connection_age_s=3600.0)
    async with running(only=(profile.account,), options=opts, ws_lifetime=1.5) as env:
        assert await env.monitor.wait_live(15)
        mark = channel(env.monitor, profile.account, "mark")
        n = mark.changes
        await eventually(lambda: env.emu.hub.lifetime_closes > 0, 10, "the scheduled close")
        await eventually(lambda: ChannelState.RECONNECTING in mark.states_since(n), 5, "a disconnect")


@pytest.mark.parametrize("profile", [BINANCE], ids=["binance"])
async def test_connections_are_renewed_before_binances_24_hour_cut(profile: ExchangeProfile) -> None:
    """Binance only: the default renewal age is set under its 24 h cut (the injected clock jumps past it)."""
    clock = OffsetClock()
    async with running(only=(profile.account,), clock=clock) as env:
        assert await env.monitor.wait_live(15)
        before = [connects(env.emu, k) for k in profile.kinds]
        clock.jump(23.5 * 3600 + 1)
        await eventually(lambda: all(connects(env.emu, k) > n for k, n in zip(profile.kinds, before, strict=True)),
                         10, "both sockets renewed")
        await eventually(lambda: all_live(env.monitor, profile.account), 10, "LIVE on the new sockets")
        assert all(c.state is LIVE for c in env.monitor.store.channels(profile.account))
