"""The lean read of Binance's markPrice frames (``binance_fast_mark``) against the general reader it stands in
front of: for any sequence of frames, good, bad and odd, two adapters, one reading with the lean path and one
with the general reader alone, end up the same: the same ticks queued (the lean path's ``PendingMark`` made into
its tick), the same marks in the store, the same frames counted as malformed and as implausible times, the same
log lines, the same frames recorded, the same stale frames ignored, the same channel data. Property-style: the
frames are generated, around every boundary the checks have (a zero, negative or non-finite price, a missing or
mistyped field, a move beyond the bound, an exchange time at and beyond the clock check's limits)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liqwatch.clock import FakeClock
from liqwatch.feed_events import StaleEventIgnored
from liqwatch.feeds.account_config import FeedAccount, Secret
from liqwatch.feeds.binance import BinanceAdapter
from liqwatch.feeds.frame_time import FUTURE_TOLERANCE_S, PAST_LIMIT_S
from liqwatch.feeds.pending_mark import PendingMark
from liqwatch.feeds.sink import SinkEvent
from liqwatch.feeds.stream import FrameHandler
from liqwatch.model import AccountSpec, Exchange, MarkTick, Stamp
from liqwatch.risk.registry import risk_rules
from liqwatch.store import MonitorStore

T0 = datetime(2026, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
SYMBOLS = ("BTCUSDT", "ETHUSDT", "SOLUSDT")
BASE = {"BTCUSDT": 60_000.0, "ETHUSDT": 3_000.0, "SOLUSDT": 150.0}
LOGGER = "liqwatch.feeds.adapter"
US = timedelta(microseconds=1)


class Recorder:
    """What a FrameRecorder is given (the frames recorded, in order)."""

    def __init__(self) -> None:
        self.lines: list[tuple[float, str, str]] = []

    def write(self, receive_epoch: float, source: str, raw: str | bytes) -> None:
        self.lines.append((receive_epoch, source, raw if isinstance(raw, str) else raw.decode()))


class Twin:
    """One adapter, its store, what it emitted, and its market frame handler (lean or general alone)."""

    def __init__(self, clock: FakeClock, lean: bool) -> None:
        self.store = MonitorStore(clock)
        self.store.add_account(AccountSpec("a", Exchange.BINANCE), risk_rules(Exchange.BINANCE))
        account = FeedAccount("a", Exchange.BINANCE, "http://127.0.0.1:1", "ws://127.0.0.1:1",
                              api_key=Secret("k" * 16), api_secret=Secret("s" * 16), symbols=("BTC/USDT:USDT",))
        self.adapter = BinanceAdapter(account, self.store, None, clock)  # type: ignore[arg-type]  # sends nothing
        self.recorder = Recorder()
        self.adapter.recorder = self.recorder  # type: ignore[assignment]
        self.emitted: list[SinkEvent] = []
        emit = self.adapter.emit

        def recording(event: SinkEvent) -> bool:
            self.emitted.append(event)
            return emit(event)

        self.adapter.emit = recording  # type: ignore[method-assign]
        general = self.adapter.frame_reader("market", self.adapter.market_routes())
        reader = self.adapter.fast_mark(general) if lean else general
        self.read: FrameHandler = self.adapter.guarded("market", reader, lambda: None)
        self.adapter.mark.subscribed(clock.monotonic())
        self.adapter.mark.synced(clock.monotonic())

    def queued(self) -> list[tuple[object, MarkTick]]:
        items = self.adapter.ticks._items
        return [(k, v.tick() if isinstance(v, PendingMark) else v) for k, v in items.items()]

    def facts(self) -> dict[str, Any]:
        a, ch = self.adapter, self.adapter.mark
        markets = {k: (m.state, m.exchange_time) for k, m in self.store._markets.items()}
        return {"malformed": a.malformed, "implausible": a.implausible_times, "queued": self.queued(),
                "coalesced": a.ticks.coalesced, "dropped": a.ticks.dropped, "applied": dict(a.applied_marks),
                "markets": markets, "stale": self.store.ignored_stale_events, "recorded": self.recorder.lines,
                "emitted": [e for e in self.emitted if not isinstance(e, MarkTick)],
                "ticks_emitted": [e for e in self.emitted if isinstance(e, MarkTick)],
                "frames": ch.frames, "last_data": ch._last_data, "state": ch.state, "version": self.store.version}


class Logs(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[tuple[int, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.levelno, record.getMessage()))


@pytest.fixture
def logs() -> Any:
    handler = Logs()
    logger = logging.getLogger(LOGGER)
    logger.addHandler(handler)
    old = logger.level
    logger.setLevel(logging.DEBUG)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(old)


def frame(data: Any, outer: dict[str, Any] | None = None) -> str:
    doc = {"stream": "btcusdt@markPrice@1s", "data": data} if outer is None else outer
    return json.dumps(doc, separators=(",", ":"))  # any int (orjson's own loads refuses one beyond 64 bits)


def event(symbol: str, price: Any, e_ms: Any, **over: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"e": "markPriceUpdate", "E": e_ms, "s": symbol, "p": price, "P": price, "i": price,
                            "r": "0.00010000", "T": 1777636800000}
    item.update(over)
    return item


# --- generated frames -----------------------------------------------------------------------------------
PRICES = st.one_of(
    st.floats(0.5, 1.5).map(lambda f: ("x", f)),  # a factor of the symbol's base price: a plausible move
    st.sampled_from([("x", 10.0), ("x", 0.1), ("x", 10.000001), ("x", 0.0999999), ("x", 11.0), ("x", 0.05)]),
    st.sampled_from(["0", "0.0", "-0", "-1", "-60000", "abc", "", " ", "nan", "NaN", "inf", "-inf", "1e400",
                     "1e-320", "60_000", " 60000 ", "0x10"]).map(lambda s: ("raw", s)),
    st.sampled_from([60000, 60000.5, 0, -1, True, None, [], {}]).map(lambda v: ("raw", v)),
)
# The exchange time in ms against the exchange's clock at receive: at and around the limits, in between, far off.
AHEAD_MS, BEHIND_MS = int(FUTURE_TOLERANCE_S * 1000), int(PAST_LIMIT_S * 1000)
TIMES = st.one_of(
    st.integers(-3000, 3000),
    st.integers(-2, 2).map(lambda d: AHEAD_MS + d),
    st.integers(-2, 2).map(lambda d: -BEHIND_MS + d),
    st.sampled_from([10**9, -(10**9), 10**15, -(10**13)]),
)
ODD_TIMES = st.sampled_from(["now", "1777636800000", 1.7776e12, True, None, 0, -1, 2**70])
SPOILERS: list[Callable[[dict[str, Any]], None]] = [
    lambda d: d.pop("s"), lambda d: d.pop("p"), lambda d: d.pop("i"), lambda d: d.pop("r"), lambda d: d.pop("E"),
    lambda d: d.pop("T"), lambda d: d.update(s=1), lambda d: d.update(s="BTCUSDT_250627"), lambda d: d.update(s="FOO"),
    lambda d: d.update(i=""), lambda d: d.update(r=""), lambda d: d.update(i="x"), lambda d: d.update(r="inf"),
    lambda d: d.update(T=0), lambda d: d.update(T="1777636800000"), lambda d: d.update(T=10**20),
    lambda d: d.update(T=True), lambda d: d.update(i=None), lambda d: d.update(r=1e-4), lambda d: d.update(e="other"),
    lambda d: d.update(e=None), lambda d: d.update(e=1), lambda d: d.update(i="1e308", r="1e308", p="1e308"),
]


@st.composite
def step(draw: st.DrawFn) -> tuple[str, Any]:
    """One thing that happens: a frame (its parts drawn), the clock moving, the clock offset re-measured, the
    store taking the queue."""
    kind = draw(st.sampled_from(["frame"] * 8 + ["odd"] * 2 + ["other"] + ["advance", "offset", "apply"]))
    if kind in ("frame", "odd"):
        return kind, (draw(st.sampled_from(SYMBOLS)), draw(PRICES), draw(TIMES), draw(ODD_TIMES),
                      draw(st.sampled_from(range(len(SPOILERS) + 6))), draw(st.booleans()))
    if kind == "other":
        return kind, draw(st.sampled_from([
            "not json", "", "[]", "null", "1", '{"result": null, "id": 1}',
            frame([event("BTCUSDT", "60000", 0)]), frame("x"), frame(None), '{"data": 1}',
            orjson.dumps(event("BTCUSDT", "60000", 0)).decode(),  # no envelope: the event itself
            orjson.dumps({"stream": "x", "data": event("BTCUSDT", "60000", 0), "id": 7}).decode(),
            orjson.dumps({"stream": "x", "data": event("BTCUSDT", "60000", 0), "result": 1, "id": 7}).decode(),
            b"\xff".decode("latin-1"),
        ]))
    if kind == "advance":
        return kind, draw(st.floats(0.0, 3.0))
    if kind == "offset":
        return kind, draw(st.floats(-8.0, 8.0))
    return kind, None


def render(clock: FakeClock, twin: Twin, args: tuple[Any, ...], odd: bool) -> str:
    symbol, (how, price), dt_ms, odd_time, spoil, stale = args
    if how == "x":
        ref = twin.adapter.applied_marks.get((Exchange.BINANCE, symbol[:-4] + "/USDT:USDT"), BASE[symbol])
        price = f"{ref * price:.6f}"
    now_ms = int(twin.adapter.server_clock.exchange_time(clock.now()).timestamp() * 1000)
    e_ms: Any = now_ms + dt_ms - (1500 if stale else 0)
    item = event(symbol, price, odd_time if odd else e_ms)
    if spoil < len(SPOILERS):
        SPOILERS[spoil](item)
    return frame(item)


def run(steps: list[tuple[str, Any]], logs: Logs) -> None:
    clock = FakeClock(T0)
    lean, general = Twin(clock, lean=True), Twin(clock, lean=False)
    receive = clock.now()
    for kind, args in steps:
        if kind == "advance":
            clock.advance(args)
            receive = clock.now()
            continue
        if kind == "offset":
            for t in (lean, general):
                t.adapter.server_clock.offset_s = args
            continue
        if kind == "apply":
            for t in (lean, general):
                t.adapter.apply_queued(t.adapter.ticks.drain())
            continue
        raw = args if kind == "other" else render(clock, general, args, kind == "odd")
        said = []
        for t in (lean, general):
            logs.lines.clear()
            t.read(raw, clock.monotonic(), receive)
            said.append(list(logs.lines))
        assert said[0] == said[1], raw
        assert lean.facts() == general.facts(), raw
    for t in (lean, general):
        t.adapter.apply_queued(t.adapter.ticks.drain())
    assert lean.facts() == general.facts()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(step(), min_size=1, max_size=40))
def test_the_lean_path_ends_where_the_general_reader_does(steps: list[tuple[str, Any]], logs: Logs) -> None:
    run(steps, logs)


# --- the cases named, one by one --------------------------------------------------------------------------
def twins() -> tuple[FakeClock, Twin, Twin]:
    clock = FakeClock(T0)
    return clock, Twin(clock, lean=True), Twin(clock, lean=False)


def both(lean: Twin, general: Twin, raw: str, clock: FakeClock, logs: Logs) -> list[tuple[int, str]]:
    said = []
    for t in (lean, general):
        logs.lines.clear()
        t.read(raw, clock.monotonic(), clock.now())
        said.append(list(logs.lines))
    assert said[0] == said[1]
    assert lean.facts() == general.facts()
    return said[0]


def now_ms(clock: FakeClock) -> int:
    return int(clock.now().timestamp() * 1000)


def test_a_valid_frame_queues_the_tick_the_full_parser_makes(logs: Logs) -> None:
    clock, lean, general = twins()
    e = now_ms(clock)
    assert both(lean, general, frame(event("BTCUSDT", "60000.5", e, i="60001.25", r="-0.00012")), clock, logs) == []
    (key, tick), = lean.queued()
    assert isinstance(lean.adapter.ticks._items[key], PendingMark)  # the lean path's, made a tick on demand
    assert tick == MarkTick(Exchange.BINANCE, "BTC/USDT:USDT", 60000.5,
                            Stamp(datetime.fromtimestamp(e / 1000, UTC), clock.now()), index_price=60001.25,
                            funding_rate=-0.00012, next_funding_time=datetime.fromtimestamp(1777636800, UTC))
    for t in (lean, general):
        t.adapter.apply_queued(t.adapter.ticks.drain())
    assert lean.facts() == general.facts()
    assert lean.store._markets[(Exchange.BINANCE, "BTC/USDT:USDT")].state.mark_price == 60000.5
    assert lean.adapter.mark.frames == 1 and lean.adapter.malformed == 0


@pytest.mark.parametrize(("spoil", "why"), [
    ({"p": "0"}, "is not >"), ({"p": "-1"}, "is not >"), ({"p": "0.0"}, "is not >"), ({"p": "abc"}, "not a number"),
    ({"p": "nan"}, "not finite"), ({"p": None}, "missing field 'p'"), ({"E": "soon"}, "'E' is not a time"),
    ({"p": 600_001.0}, "more than x"), ({"s": 7}, "not a string"), ({"T": "x"}, "'T' is not a time"),
])
def test_a_bad_frame_is_refused_and_counted_the_same(spoil: dict[str, Any], why: str, logs: Logs) -> None:
    clock, lean, general = twins()
    both(lean, general, frame(event("BTCUSDT", "60000", now_ms(clock))), clock, logs)
    for t in (lean, general):
        t.adapter.apply_queued(t.adapter.ticks.drain())
    item = event("BTCUSDT", "60000", now_ms(clock) + 1)
    item.update({k: v for k, v in spoil.items() if v is not None})
    for k in [k for k, v in spoil.items() if v is None]:
        item.pop(k)
    (level, said), = both(lean, general, frame(item), clock, logs)
    assert lean.adapter.malformed == 1 and why in said and level == logging.WARNING
    assert lean.queued() == []  # nothing of it applied


@pytest.mark.parametrize(("ahead_ms", "refused"), [(int(FUTURE_TOLERANCE_S * 1000), False),
                                                   (int(FUTURE_TOLERANCE_S * 1000) + 1, True),
                                                   (60_000, True), (-int(PAST_LIMIT_S * 1000), False),
                                                   (-int(PAST_LIMIT_S * 1000) - 1, True)])
def test_an_exchange_time_beyond_the_clock_check_is_refused_the_same(ahead_ms: int, refused: bool,
                                                                     logs: Logs) -> None:
    clock, lean, general = twins()
    for t in (lean, general):
        t.adapter.server_clock.offset_s = 2.5
    at_us = (lean.adapter.server_clock.exchange_time(clock.now()) - datetime(1970, 1, 1, tzinfo=UTC)) // US
    # The whole millisecond nearest the limit on the side of the clock (T0 is not a whole millisecond).
    e = (at_us + ahead_ms * 1000) // 1000 if ahead_ms > 0 else -(-(at_us + ahead_ms * 1000) // 1000)
    said = both(lean, general, frame(event("ETHUSDT", "3000", e)), clock, logs)
    assert (lean.adapter.implausible_times, lean.adapter.malformed) == ((1, 1) if refused else (0, 0))
    assert bool(said) is refused


def test_an_older_frame_does_not_displace_the_queued_one(logs: Logs) -> None:
    clock, lean, general = twins()
    e = now_ms(clock)
    both(lean, general, frame(event("SOLUSDT", "150", e)), clock, logs)
    both(lean, general, frame(event("SOLUSDT", "151", e - 1)), clock, logs)
    assert [type(x) for x in lean.emitted] == [StaleEventIgnored]
    both(lean, general, frame(event("SOLUSDT", "152", e + 5)), clock, logs)
    assert [t.mark_price for _, t in lean.queued()] == [152.0] and lean.adapter.ticks.coalesced == 1


def test_a_new_clock_offset_moves_the_window_for_the_same_receive_time(logs: Logs) -> None:
    """The frames of one wake-up share a receive time, and the window worked out for it: a clock offset measured
    meanwhile moves it all the same (a frame fine under the old offset and 10 s ahead under the new one)."""
    clock, lean, general = twins()
    e = now_ms(clock)
    both(lean, general, frame(event("BTCUSDT", "60000", e)), clock, logs)
    for t in (lean, general):
        t.adapter.server_clock.offset_s = -10.0
    both(lean, general, frame(event("BTCUSDT", "60001", e + 1)), clock, logs)
    assert lean.adapter.implausible_times == 1 and [t.mark_price for _, t in lean.queued()] == [60000.0]
