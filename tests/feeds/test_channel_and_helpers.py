"""Freshness state machine, backoff, coalescing hand-off, recorder and redaction (no sockets)."""

from __future__ import annotations

import asyncio
import gzip
import logging
import random
from pathlib import Path

import pytest

from liqwatch.feed_channel import Channel, ChannelKind, ChannelState
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.coalesce import CoalescingQueue
from liqwatch.feeds.frame_recorder import FrameRecorder, read_recording
from liqwatch.redact import RedactingFilter, excerpt, redact, register_secret


def test_market_channel_needs_data_after_subscribe_and_snapshot() -> None:
    ch = Channel("acc", "mark", ChannelKind.MARKET, max_age_s=5)
    assert ch.state is ChannelState.CONNECTING
    ch.subscribed(100.0)
    ch.synced(100.5)
    assert ch.state is ChannelState.SYNCING  # a snapshot alone does not make a market channel live
    ch.data(101.0)
    assert ch.state is ChannelState.LIVE
    assert ch.status(102.0).age_s == pytest.approx(1.0)


def test_data_before_snapshot_is_not_live() -> None:
    ch = Channel("acc", "mark", ChannelKind.MARKET, max_age_s=5)
    ch.subscribed(0.0)
    ch.data(0.5)
    assert ch.state is ChannelState.SYNCING
    ch.synced(1.0)
    assert ch.state is ChannelState.LIVE


def test_subscribe_ack_without_data_goes_stale_from_subscribe_time() -> None:
    ch = Channel("acc", "mark", ChannelKind.MARKET, max_age_s=5)
    ch.subscribed(10.0)
    ch.synced(10.2)
    assert ch.check(14.9) is ChannelState.SYNCING
    assert ch.check(15.1) is ChannelState.STALE
    assert ch.detail == ("subscribed but no data for 5 s: check the endpoint configuration "
                         "(ws_url of account acc)")
    assert ch.status(15.1).age_s is None  # never a message


def test_subscribed_but_no_data_names_the_source_through_resubscribes_and_resyncs() -> None:
    """Row 29: the detail stays on the silent endpoint, measured from the first silent subscribe, whatever
    the watchdog's remedies (reconnect, REST resync) say meanwhile; the first frame ends it."""
    ch = Channel("acc", "mark", ChannelKind.MARKET, max_age_s=5)
    ch.source = "btcusdt@markPrice@1s at ws://h.example/market/stream"
    ch.subscribed(10.0)
    ch.synced(10.2)
    assert ch.check(15.1) is ChannelState.STALE
    ch.reconnecting("mark: subscribed but no data")
    ch.subscribed(17.0)
    ch.resyncing("REST resync")
    ch.synced(17.5)
    status = ch.status(22.0)
    assert status.state is ChannelState.SYNCING
    assert status.detail == ("subscribed to btcusdt@markPrice@1s at ws://h.example/market/stream but no data for "
                             "12 s: check the endpoint configuration (ws_url of account acc)")
    ch.data(22.5)
    assert ch.state is ChannelState.LIVE and ch.status(22.6).detail == ""
    # A channel that was fed and then stopped is not "subscribed but no data" (row 3 says "no data within limit").
    assert ch.check(28.0) is ChannelState.STALE and ch.status(28.0).detail == "no data within limit"


def test_market_channel_goes_stale_when_data_stops_and_recovers_when_it_resumes() -> None:
    ch = Channel("acc", "mark", ChannelKind.MARKET, max_age_s=5)
    ch.subscribed(0.0)
    ch.synced(0.0)
    for t in range(1, 10):
        ch.data(float(t))
        assert ch.check(float(t)) is ChannelState.LIVE
    assert ch.check(14.0) is ChannelState.LIVE
    assert ch.check(14.01) is ChannelState.STALE
    ch.data(20.0)
    assert ch.state is ChannelState.LIVE


def test_quiet_channel_lives_on_reconciliation() -> None:
    ch = Channel("acc", "user", ChannelKind.QUIET, max_age_s=45)
    ch.subscribed(0.0)
    ch.synced(1.0)
    assert ch.state is ChannelState.LIVE  # quiet by design: the snapshot suffices
    ch.reconciled(40.0)
    assert ch.check(80.0) is ChannelState.LIVE
    assert ch.status(80.0).age_s == pytest.approx(40.0)
    assert ch.check(86.0) is ChannelState.STALE  # reconciliation stopped succeeding
    ch.reconciled(90.0)
    assert ch.check(90.0) is ChannelState.LIVE


def test_disconnect_is_not_live_at_once_and_needs_a_new_resync() -> None:
    ch = Channel("acc", "mark", ChannelKind.MARKET, max_age_s=5)
    ch.subscribed(0.0)
    ch.synced(0.0)
    ch.data(1.0)
    ch.reconnecting("dropped")
    assert ch.state is ChannelState.RECONNECTING
    ch.data(1.5)  # a late frame from the old socket changes nothing
    assert ch.state is ChannelState.RECONNECTING
    ch.subscribed(3.0)
    ch.data(3.1)
    assert ch.state is ChannelState.SYNCING
    ch.synced(3.2)
    assert ch.state is ChannelState.LIVE


def test_backoff_is_capped_full_jitter() -> None:
    b = Backoff(0.5, 2.0, 30.0, rng=random.Random(1))
    ceilings = []
    delays = []
    for _ in range(20):
        ceilings.append(b.ceiling())
        delays.append(b.next_delay())
    assert ceilings[:4] == [0.5, 1.0, 2.0, 4.0]
    assert max(ceilings) == 30.0 and ceilings[-1] == 30.0
    assert all(0 <= d <= c for d, c in zip(delays, ceilings, strict=True))
    assert len(set(delays)) == len(delays)  # jittered, not a fixed schedule
    b.reset()
    assert b.ceiling() == 0.5


async def test_coalescing_queue_keeps_latest_per_key_and_stays_bounded() -> None:
    q: CoalescingQueue[tuple[str, int]] = CoalescingQueue(max_keys=3)
    for i in range(10_000):
        q.put("BTC", ("BTC", i))
    q.put("ETH", ("ETH", 1))
    assert len(q) == 2 and q.coalesced == 9_999
    assert await asyncio.wait_for(q.wait(), 1) == [("BTC", 9_999), ("ETH", 1)]
    for k in "abcd":
        q.put(k, (k, 0))
    assert len(q) == 3 and q.dropped == 1


def test_recorder_appends_and_reads_back(tmp_path: Path) -> None:
    path = tmp_path / "rec" / "frames.jsonl.gz"
    r = FrameRecorder(path, flush_every=1)
    r.write(1.5, "a/market", '{"e":"markPriceUpdate"}')
    r.write(2.5, "a/market", "{truncated")
    r.close()
    r2 = FrameRecorder(path)  # a restarted monitor appends
    r2.write(3.5, "a/user", "x")
    r2.close()
    got = list(read_recording(path))
    assert [g["t"] for g in got] == [1.5, 2.5, 3.5]
    assert got[1]["raw"] == "{truncated"
    with gzip.open(path) as fh:  # really compressed gzip
        assert fh.read()


def test_redaction_masks_keys_signatures_and_registered_secrets(caplog: pytest.LogCaptureFixture) -> None:
    canary = "CANARYsecretVALUE1234567890"
    register_secret(canary)
    assert canary not in redact(f"GET /x?signature=abcdef012345&key={canary}")
    assert "abcdef012345" not in redact("GET /x?timestamp=1&signature=abcdef012345")
    assert "LK123456789" not in redact("wss://h/private/ws?listenKey=LK123456789")
    assert "LK9" not in excerpt('{"e":"listenKeyExpired","listenKey":"LK9999999"}')
    logger = logging.getLogger("test.redact")
    logger.addFilter(RedactingFilter())
    with caplog.at_level(logging.WARNING, logger="test.redact"):
        logger.warning("frame %s", f"secret={canary}")
    assert canary not in caplog.text and "***" in caplog.text


def test_tracebacks_are_redacted_by_every_root_handler() -> None:
    import io

    from liqwatch.redact import install_redaction

    key = "LISTENKEYcanary0123456789abcdef"
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_redaction()
        try:
            raise RuntimeError(f"GET /private/ws?listenKey={key} failed")
        except RuntimeError:
            logging.getLogger("test.redact.traceback").exception("feed crashed")
    finally:
        root.removeHandler(handler)
    text = out.getvalue()
    assert "feed crashed" in text and "RuntimeError" in text  # the traceback is there...
    assert key not in text  # ...without the listen key


def test_a_short_secret_is_masked_as_a_token_of_its_own_not_inside_words() -> None:
    register_secret("Qz7!x")  # five characters: an OKX passphrase or a ccxt password may be as short
    assert redact("Your passphrase Qz7!x is incorrect") == "Your passphrase *** is incorrect"
    assert redact('{"passphrase":"Qz7!x"}') == '{"passphrase":"***"}'
    assert redact("aQz7!xb stays") == "aQz7!xb stays"  # inside a longer word it is not this secret
