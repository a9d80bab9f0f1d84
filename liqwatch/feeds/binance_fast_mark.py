"""The lean read of Binance's markPrice frames, the hot path of the market socket.

Nearly every frame of the market socket is one ``markPriceUpdate`` of the combined stream, in the one shape
Binance sends it (``{"stream": ..., "data": {"e": "markPriceUpdate", "E": int, "s": str, "p": str, "i": str,
"r": str, "T": int, ...}}``). For that frame the general prelude (``adapter_streams.frame_reader``: record,
parse, judge each event through the routes, queue the tick) does the same few things through a dozen calls and
two frozen objects. This reader does them inline, on the fields the engine uses: the symbol, the mark, the
index, the funding rate, the next funding time and the exchange time ``E``.

It is a filter in front of the general reader, never a second judge: a frame it accepts is exactly one the
general reader accepts (same shape, same numbers, a positive mark within the move bound of the last mark
applied, an exchange time inside the clock check's window), and what it queues is what the general reader's
``push_tick`` queues (a ``PendingMark`` whose ``tick()`` is the general reader's tick). Any other frame (not
JSON, another shape or event, a missing, mistyped or non-finite field, a zero or negative or implausible mark,
a time outside the window, a symbol it cannot map, a ``MarkTick`` queued by the general path) goes to the
general reader as it came, untouched, which records it, refuses it and counts it with its own reason: so every
rejected frame is still counted and logged exactly as before, and nothing of it applied.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import orjson

from liqwatch.feed_channel import Channel
from liqwatch.feed_events import StaleEventIgnored
from liqwatch.feeds.adapter_frames import FrameIntake
from liqwatch.feeds.binance_wire import _funding_time, unified
from liqwatch.feeds.frame_time import FUTURE_TOLERANCE_S, PAST_LIMIT_S
from liqwatch.feeds.pending_mark import PendingMark
from liqwatch.feeds.stream import FrameHandler
from liqwatch.feeds.wire import MARK_MOVE_LIMIT, MAX_FUNDING_RATE, WireError
from liqwatch.model import Exchange

_BINANCE = Exchange.BINANCE
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_US = timedelta(microseconds=1)
# The clock check's limits in whole microseconds: ``ServerClock.implausible`` compares a timedelta's
# total_seconds() (microseconds / 1e6, correctly rounded) with them, which for whole microseconds is exactly an
# integer comparison.
_AHEAD_US = round(FUTURE_TOLERANCE_S * 1e6)
_BEHIND_US = round(PAST_LIMIT_S * 1e6)
assert _AHEAD_US == FUTURE_TOLERANCE_S * 1e6 and _BEHIND_US == PAST_LIMIT_S * 1e6
_SYMBOLS_KEPT = 4096  # Binance's names met, mapped once each (as ``unified``'s cache): bounded all the same
_INF = math.inf


def fast_mark_reader(intake: FrameIntake, source: str, channel: Channel, general: FrameHandler) -> FrameHandler:
    """The market socket's frame handler: the lean read of a well-formed markPriceUpdate, ``general`` for
    every other frame (see the module's docstring). ``channel``: the mark channel the frames are data of."""
    loads, decode_error, isfinite, new_pending = orjson.loads, orjson.JSONDecodeError, math.isfinite, PendingMark
    applied, ticks, server_clock = intake.applied_marks, intake.ticks, intake.server_clock
    where = f"{intake.account.name}/{source}"
    # Binance's name -> (unified symbol, the queue's and the last applied mark's key).
    keys: dict[str, tuple[str, tuple[object, str]]] = {}
    # The clock check's window in exchange epoch ms, for one receive time and clock offset: every frame of one
    # wake-up of the socket shares its receive time (``StreamRunner._data``), so it is worked out once for all.
    w_receive: datetime | None = None
    w_offset, lo_ms, hi_ms = _INF, 0, 0
    # The next funding time changes once per funding interval: the last one read is kept as a datetime.
    last_t, last_funding = 0, _EPOCH

    def read(raw: str, mono: float, receive: datetime) -> None:
        nonlocal w_receive, w_offset, lo_ms, hi_ms, last_t, last_funding
        try:
            msg = loads(raw)
        except decode_error:
            return general(raw, mono, receive)
        d = msg.get("data") if type(msg) is dict and "id" not in msg else None  # "id": an acknowledgement
        if type(d) is not dict or d.get("e") != "markPriceUpdate":
            return general(raw, mono, receive)
        s, p, i, r, e, t = d.get("s"), d.get("p"), d.get("i"), d.get("r"), d.get("E"), d.get("T")
        # The types of the one shape Binance sends (as binance_wire._mark_update_fast reads it).
        if not (type(s) is str and type(p) is str and type(i) is str and type(r) is str and i and r
                and type(e) is int and type(t) is int and t):
            return general(raw, mono, receive)
        try:
            mark, index, rate = float(p), float(i), float(r)
            if t != last_t:
                last_funding, last_t = _funding_time(t), t
        except (ValueError, OverflowError, OSError):
            return general(raw, mono, receive)
        named = keys.get(s)
        if named is None:
            try:
                symbol = unified(s)
            except WireError:
                return general(raw, mono, receive)
            if len(keys) >= _SYMBOLS_KEPT:
                keys.clear()
            named = keys[s] = (symbol, (_BINANCE, symbol))
        # Finite each (their sum is finite only then), a positive mark, a plausible move from the last one
        # applied (wire.implausible_mark), a plausible funding rate (wire.implausible_rate), the exchange time
        # inside the window (ServerClock.implausible).
        key = named[1]
        ref = applied.get(key)
        if not (isfinite(mark + index + rate) and mark > 0.0 and -MAX_FUNDING_RATE <= rate <= MAX_FUNDING_RATE) or (
                ref is not None and ref > 0 and not (ref / MARK_MOVE_LIMIT <= mark <= ref * MARK_MOVE_LIMIT)):
            return general(raw, mono, receive)
        if receive is not w_receive or server_clock.offset_s != w_offset:
            ref_us = (server_clock.exchange_time(receive) - _EPOCH) // _US
            w_receive, w_offset = receive, server_clock.offset_s
            hi_ms = (ref_us + _AHEAD_US) // 1000  # ahead by more than the tolerance: refused
            lo_ms = -((_BEHIND_US - ref_us) // 1000)  # behind by more than the limit: refused (ceil)
        if not lo_ms <= e <= hi_ms:
            return general(raw, mono, receive)
        # Accepted: recorded as the general reader records every frame, then queued as its push_tick would.
        recorder = intake.recorder
        if recorder is not None:
            recorder.write(receive.timestamp(), where, raw)
        queued = ticks.peek(key)
        if queued is None:
            ticks.put(key, new_pending(_BINANCE, named[0], channel, e, mark, index, rate, last_funding, receive,
                                        mono))
        elif type(queued) is new_pending:
            if e < queued.exchange_ms:
                intake.emit(StaleEventIgnored(intake.account.name))  # older than the queued one: not displacing it
                return None
            queued.exchange_ms, queued.mark_price, queued.index_price, queued.funding_rate = e, mark, index, rate
            queued.next_funding_time, queued.receive_time, queued.mono = last_funding, receive, mono
            ticks.put(key, queued)  # counted as coalesced, as a new tick in its place is
        else:
            # A MarkTick the general path queued (a frame of another shape): compared as it compares them. The
            # frame was recorded above; the general path's own push is the same apart from its record.
            intake.push_tick(new_pending(_BINANCE, named[0], channel, e, mark, index, rate, last_funding, receive,
                                         mono).tick(), channel, mono)
        return None

    return read
