"""The generic adapter's streams, each a ``WatchLoopStream`` (a loop of ccxt watch calls, or of polls where
the exchange's ``has`` lacks the watch), so the base supervises, resyncs and reconnects them as it does a
native socket:

- ``account``: ``watch_positions`` / ``watch_balance`` as a change signal (a REST snapshot follows at once,
  at most one per ``min_snapshot_gap_s``). Quiet for a while is not dead: the wait ends, the loop goes on, and
  the periodic reconciliation keeps the channel fresh. Its opening resyncs over REST.
- ``marks``: ``watch_mark_prices`` or ``watch_tickers`` (their ``markPrice``), else a poll of
  ``fetch_mark_prices`` / ``fetch_tickers`` inside the exchange's ``rateLimit``. Its opening resyncs too.
- ``funding``: ``fetch_funding_rates`` every ``FUNDING_POLL_S`` where the exchange has it (not data of a channel:
  the rates ride on the marks).

A watch call is never cancelled on a timeout (a ccxt future is shared by every caller of the same
subscription): it stays pending and the next call waits on it again. A stream going down closes the
instance's sockets, so the next call dials anew instead of reading a half-open socket ccxt still holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime
from typing import Any

from liqwatch.clock import Clock
from liqwatch.feed_channel import Channel
from liqwatch.feeds.ccxt_errors import bounded
from liqwatch.feeds.ccxt_funding import FUNDING_POLL_S, fetch_funding, funding_ticks
from liqwatch.feeds.ccxt_guard import ReadOnlyExchange
from liqwatch.feeds.ccxt_wire import mark_tick
from liqwatch.feeds.feed_stream import FeedStream
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.rest import ForbiddenEndpoint
from liqwatch.feeds.watch_loop import WatchLoopStream
from liqwatch.feeds.wire import WireError
from liqwatch.feeds.ws_allowlist import ForbiddenMessage
from liqwatch.model import MarkTick

log = logging.getLogger(__name__)

#: Snapshots taken on the stream's say-so at most once a second (exchanges push positions with every mark).
MIN_SNAPSHOT_GAP_S = 1.0
#: Why a stream reconnects when another one's going down closed the instance's sockets under it.
WITH_THE_OTHERS = "sockets reopened"
#: What a poll is taken to cost until one was measured (ccxt's throttle can hold it about this long).
UNMEASURED_CALL_S = 1.0
#: Symbols tried, in order, for the marks channel's heartbeat while nothing is held or configured.
HEARTBEATS = ("BTC/USDT:USDT", "BTC/USDC:USDC", "BTC/USD:BTC", "BTC/USD:USD")


class CcxtStreams:
    # --- from the adapter ---------------------------------------------------------------------------------
    ex: ReadOnlyExchange | None
    ccxt_id: str
    exchange_id: str
    account_ch: Channel
    marks_ch: Channel
    watched: set[str]
    opts: FeedOptions
    clock: Clock
    last_error: str | None
    bad_items: int

    def _exchange(self) -> ReadOnlyExchange:
        raise NotImplementedError

    async def resync(self, channels: list[Channel]) -> bool:
        raise NotImplementedError

    async def resync_until_ok(self, channels: list[Channel], stream: FeedStream | None) -> bool:
        raise NotImplementedError

    async def snapshot_on_change(self) -> None:
        raise NotImplementedError

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        raise NotImplementedError

    def judged_tick(self, tick: MarkTick, channel: Channel, mono: float) -> Callable[[], None]:
        raise NotImplementedError

    def push_tick(self, tick: MarkTick, channel: Channel | None = None, mono: float = 0.0) -> None:
        raise NotImplementedError

    def bad_item(self, source: str, item: Any, why: str) -> None:
        raise NotImplementedError

    # --- the streams' own -----------------------------------------------------------------------------------
    def init_streams(self) -> None:
        self._pending: dict[str, asyncio.Future[Any]] = {}
        self._symbols_changed = asyncio.Event()
        self._change_wanted = False
        self._change_running = False
        self._mark_times: dict[str, datetime] = {}
        #: The ticker row last taken per symbol: a cache entry still the same object is no update (ccxt replaces
        #: a symbol's entry when one arrives), which a row without a time of its own cannot otherwise tell.
        self._rows_taken: dict[str, Any] = {}
        #: The exchange's streamed tickers carry no mark (Hyperliquid's, through ccxt, are mid prices): polled.
        self._tickers_unmarked = False
        self._marks_watched: list[str] = []  # the symbols of the pending mark watch
        self._streams: dict[str, WatchLoopStream[Any]] = {}
        self.call_s: dict[str, float] = {}
        self._funding_polled = False
        #: Watches a read-only guard refused (their set-up needs a request liqwatch never sends): given up for
        #: the poll, for good; a refusal is no dropped connection, and redialling cannot change it.
        self.refused_watches: set[str] = set()

    def symbols_changed(self) -> None:
        self._symbols_changed.set()

    @property
    def quiet_wait_s(self) -> float:
        """How long an account watch waits before it counts as "nothing changed" (not as a dead stream)."""
        return max(0.05, min(self.opts.idle_timeout_s / 2.0, self.opts.reconcile_interval_s))

    def _rate_s(self) -> float:
        return float(getattr(self.ex, "rateLimit", 0) or 0) / 1000.0 if self.ex is not None else 0.0

    @property
    def min_snapshot_gap_s(self) -> float:
        """Snapshots on a change at most one a second, and paced by what one costs: ccxt's throttle holds a
        request as long as the exchange's ``rateLimit`` (times the endpoint's cost) says, so a snapshot that
        took long says the budget is small (Hyperliquid's: about one request a second)."""
        return max(MIN_SNAPSHOT_GAP_S, 4 * self._rate_s(), 3 * self.call_s.get("snapshot", 0.0))

    def poll_interval_s(self) -> float:
        """Marks polled a third of their age limit apart, or slower where the exchange's budget says so."""
        return max(self.opts.market_max_age_s / 3.0, 2 * self._rate_s(), self.call_s.get("marks", 0.0))

    def timed(self, what: str, seconds: float) -> None:
        """How long a call of ``what`` took (ccxt's throttle included), smoothed: the pacing's measure."""
        last = self.call_s.get(what)
        self.call_s[what] = seconds if last is None else 0.7 * last + 0.3 * seconds

    def ccxt_streams(self) -> list[FeedStream]:
        self._pending.clear()
        self._streams = {
            "account": self._stream("account", self._watch_account, self._account_changed,
                                    self._open_account, (self.account_ch,)),
            "marks": self._stream("marks", self._watch_marks, self._marks_received, self._open_marks,
                                  (self.marks_ch,), idle_timeout_s=self._marks_idle_timeout_s),
        }
        if self.ex is not None and self.ex.has.get("fetchFundingRates"):
            self._streams["funding"] = self._stream(
                "funding", self._poll_funding, self._funding_received, lambda: asyncio.sleep(0), (),
                idle_timeout_s=lambda: FUNDING_POLL_S + 4 * self.opts.request_timeout_s)
        return list(self._streams.values())

    def _polled_age_limit(self) -> None:
        """Polled marks: their channel's age allows two polls missed, each paced as above (never below the
        configured limit)."""
        poll = self.poll_interval_s() + self.call_s.get("marks", UNMEASURED_CALL_S)
        self.marks_ch.max_age_s = max(self.opts.market_max_age_s, 3 * poll)

    def stream_feeding(self, channel: Channel) -> FeedStream | None:
        name = "account" if channel is self.account_ch else "marks" if channel is self.marks_ch else None
        return self._streams.get(name) if name is not None else None

    def _stream(self, name: str, watch: Callable[[], Awaitable[Any]], on_update: Callable[[Any, float, datetime], None],
                on_open: Callable[[], Awaitable[None]], channels: tuple[Channel, ...],
                idle_timeout_s: Callable[[], float] | None = None) -> WatchLoopStream[Any]:
        def down(reason: str) -> None:
            for ch in channels:
                ch.reconnecting(reason)
            if reason.startswith(WITH_THE_OTHERS) or not channels:
                return  # closed with another stream's sockets (or a REST poll's failure: no socket of its own)
            # The instance's sockets are closed and forgotten, every stream on them reopens (with its resync).
            for fut in self._pending.values():
                fut.cancel()  # their socket is closed below: nothing is left to resolve them
            self._pending.clear()
            if self.ex is not None:
                close = self.ex.detach_sockets()
                self.spawn(close())
            for other, stream in self._streams.items():
                if other != name and other != "funding":
                    stream.force_reconnect(f"{WITH_THE_OTHERS} ({name}: {reason})")

        return WatchLoopStream(f"{self.exchange_id}:{name}", watch, on_update, on_open, down, self.clock, self.opts,
                               idle_timeout_s=idle_timeout_s)

    def _marks_idle_timeout_s(self) -> float:
        """A watch: the configured idle limit. A poll: its pause and its request's own limit on top."""
        if self.ex is None or self._watches_marks():
            return self.opts.idle_timeout_s
        return self.opts.idle_timeout_s + self.poll_interval_s() + 3 * self.opts.request_timeout_s

    # --- account -------------------------------------------------------------------------------------------
    async def _open_account(self) -> None:
        self.account_ch.subscribed(self.clock.monotonic())
        # Retried while the stream is up, as a native adapter does: one failed snapshot must not take it down,
        # and with it every socket of the instance (the marks', healthy).
        if not await self.resync_until_ok([self.account_ch], self._streams.get("account")):
            raise ConnectionError(f"resync failed: {self.last_error}")

    async def _watch_account(self) -> bool:
        """True when the exchange's stream said something changed; False after a quiet wait."""
        ex = self._exchange()
        watches = [name for name, has in (("watch_positions", "watchPositions"), ("watch_balance", "watchBalance"))
                   if ex.has.get(has) and name not in self.refused_watches]
        if not watches:
            await asyncio.sleep(self.quiet_wait_s)  # polled: the reconciliation takes the snapshots
            return False
        for name in watches:
            if name not in self._pending:
                self._pending[name] = _kept(getattr(ex, name)())
        # Its own watches only: the marks stream's call is in ``_pending`` too, and a mark is no account change.
        own = {name: self._pending[name] for name in watches}
        done, _ = await asyncio.wait(list(own.values()), timeout=self.quiet_wait_s,
                                     return_when=asyncio.FIRST_COMPLETED)
        changed = False
        for name in [n for n, f in own.items() if f in done]:
            try:
                self._pending.pop(name).result()  # a failed watch raises here: the stream is down
                changed = True
            except (ForbiddenEndpoint, ForbiddenMessage) as exc:
                self._refused_watch(name, exc)  # polled from now on (the reconciliation's snapshots)
        return changed

    def _refused_watch(self, name: str, exc: Exception) -> None:
        self.refused_watches.add(name)
        self.last_error = f"ccxt {self.ccxt_id}: {name} refused by liqwatch's read-only guard, polled instead: {exc}"
        log.warning("%s: %s", self.exchange_id, self.last_error)

    def _account_changed(self, changed: bool, mono: float, receive: datetime) -> None:
        if not changed:
            return
        self._change_wanted = True
        if not self._change_running:
            self._change_running = True
            self.spawn(self._snapshots_on_change())

    async def _snapshots_on_change(self) -> None:
        try:
            while self._change_wanted:
                self._change_wanted = False
                await self.snapshot_on_change()
                await asyncio.sleep(self.min_snapshot_gap_s)  # a burst of changes: one snapshot per gap
        finally:
            self._change_running = False

    # --- marks ---------------------------------------------------------------------------------------------
    def polls_marks(self) -> bool:
        return self.ex is not None and not self._watches_marks()

    def _watches_marks(self) -> bool:
        return self._streams_marks() or self._streams_tickers()

    def _streams_marks(self) -> bool:
        return bool(self._exchange().has.get("watchMarkPrices")) and "watch_mark_prices" not in self.refused_watches

    def _streams_tickers(self) -> bool:
        has = self._exchange().has
        return (not self._streams_marks() and bool(has.get("watchTickers")) and not self._tickers_unmarked
                and "watch_tickers" not in self.refused_watches)

    def idle_symbol(self) -> str | None:
        """A symbol to keep the marks channel fed while nothing is held or configured."""
        markets = self._exchange().markets or {}
        return next((s for s in HEARTBEATS if s in markets),
                    next((s for s, m in markets.items() if m.get("swap") and m.get("active", True)), None))

    async def _open_marks(self) -> None:
        # Each mark is whole by itself: nothing to resync over REST (the account stream resyncs the state; a
        # stream going down takes every socket of the instance down with it, so that one reopens too).
        now = self.clock.monotonic()
        self.marks_ch.subscribed(now)
        self.marks_ch.synced(now)

    def _mark_symbols(self) -> list[str]:
        if self.watched:
            return sorted(self.watched)
        beat = self.idle_symbol()
        return [beat] if beat is not None else []

    async def _watch_marks(self) -> dict[str, Any]:
        ex = self._exchange()
        symbols = self._mark_symbols()
        if not symbols:
            self._symbols_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._symbols_changed.wait(), self.quiet_wait_s)
            return {}
        self._symbols_changed.clear()
        for name, streams in (("watch_mark_prices", self._streams_marks), ("watch_tickers", self._streams_tickers)):
            if streams():
                try:
                    return await self._watched_marks(symbols, functools.partial(getattr(ex, name), symbols))
                except (ForbiddenEndpoint, ForbiddenMessage) as exc:
                    self._refused_watch(name, exc)
                    return {}  # the next call polls (or watches tickers)
        self._polled_age_limit()
        with contextlib.suppress(TimeoutError):  # a symbol newly held is polled at once
            await asyncio.wait_for(self._symbols_changed.wait(), self.poll_interval_s())
        symbols = self._mark_symbols()
        fetch = ex.fetch_mark_prices if ex.has.get("fetchMarkPrices") else ex.fetch_tickers
        started = self.clock.monotonic()
        rows = await bounded(fetch(symbols), 3 * self.opts.request_timeout_s, f"{self.ccxt_id} marks")
        self.timed("marks", self.clock.monotonic() - started)
        return rows  # type: ignore[no-any-return]

    def _with_cached(self, rows: Any, symbols: list[str]) -> dict[str, Any]:
        """A watch call returns what woke it (one symbol, often); the others' updates since the last call are
        in ccxt's cache (it coalesces bursts), read from there: an entry not replaced since it was last taken is
        left out (dated by arrival, it would pass for a new mark), and only a newer mark than the last counts."""
        out = dict(rows) if isinstance(rows, dict) else {}
        cache = self._exchange().tickers or {}
        for symbol in symbols:
            row = cache.get(symbol)
            if symbol not in out and isinstance(row, dict) and row is not self._rows_taken.get(symbol):
                out[symbol] = row
        for symbol in symbols:
            if symbol in out:
                self._rows_taken[symbol] = out[symbol]
        return out

    async def _watched_marks(self, symbols: list[str], start: Callable[[], Awaitable[Any]]) -> dict[str, Any]:
        """The marks of ``symbols`` as the watch call returns them, with ccxt's cache. A symbol newly held ends the
        wait at once (an empty answer: no data), so that the next call watches it too, rather than waiting for
        the pending call on the old symbols to return (a quiet market's may not for long)."""
        if self._marks_watched != symbols:
            old = self._pending.pop("marks", None)
            if old is not None:
                old.cancel()
            self._marks_watched = symbols
        changed = asyncio.ensure_future(self._symbols_changed.wait())
        watch = _kept(self._pending_call("marks", start))
        try:
            done, _ = await asyncio.wait({watch, changed}, return_when=asyncio.FIRST_COMPLETED)
            if watch not in done:
                return {}
            return self._with_cached(watch.result(), symbols)
        finally:
            changed.cancel()
            watch.cancel()  # a no-op once done; else the call itself stays pending (``_pending_call``'s shield)

    async def _pending_call(self, name: str, start: Callable[[], Awaitable[Any]]) -> Any:
        """A watch call kept pending across the loop's own timeouts (see the module's docstring)."""
        fut = self._pending.get(name)
        if fut is None or fut.done():
            fut = self._pending[name] = _kept(start())
        try:
            return await asyncio.shield(fut)
        finally:
            if fut.done():
                self._pending.pop(name, None)

    def _marks_received(self, rows: dict[str, Any], mono: float, receive: datetime) -> None:
        wanted = self.watched | set(self._mark_symbols())
        ticks: dict[str, MarkTick | None] = {}  # each row read once: its mark, or None (a ticker without one)
        for symbol, row in (rows or {}).items():
            if isinstance(row, dict):
                try:
                    ticks[symbol] = mark_tick(self.exchange_id, symbol, row, receive, self.ccxt_id)
                except WireError as exc:
                    if symbol in wanted:
                        self.bad_item("marks", row, str(exc))
        if rows and len(ticks) == len(rows) and all(t is None for t in ticks.values()) and self._streams_tickers():
            self._tickers_unmarked = True  # from the next call on, marks are polled
            log.info("%s: its streamed tickers carry no mark price; polling marks instead", self.exchange_id)
            return
        for symbol, tick in ticks.items():
            if symbol not in wanted or tick is None:
                continue  # a ticker without a mark: no mark for liquidation, not counted as one
            last = self._mark_times.get(symbol)
            if not tick.by_arrival and last is not None and tick.stamp.exchange_time <= last:
                continue  # the same mark again (a poll between updates): not new data
            try:
                self.judged_tick(tick, self.marks_ch, mono)()
            except WireError as exc:
                self.bad_item("marks", rows[symbol], str(exc))
                continue
            if not tick.by_arrival:
                self._mark_times[symbol] = tick.stamp.exchange_time

    # --- funding -------------------------------------------------------------------------------------------
    async def _poll_funding(self) -> dict[str, Any]:
        # The first soon after the start, then once a minute: rates move slowly, and a poll costs requests.
        await asyncio.sleep(FUNDING_POLL_S if self._funding_polled else self.quiet_wait_s)
        self._funding_polled = True
        return await fetch_funding(self._exchange(), sorted(self.watched), 3 * self.opts.request_timeout_s)

    def _funding_received(self, rows: dict[str, Any], mono: float, receive: datetime) -> None:
        for tick in funding_ticks(rows, self.watched, self.exchange_id, self.ccxt_id, receive,
                                  lambda t: self.judged_tick(t, self.marks_ch, mono), self.bad_item):
            self.push_tick(tick)  # no data of the marks channel: a REST answer, not the stream


def _kept(call: Awaitable[Any]) -> asyncio.Future[Any]:
    """A watch call run as a future of its own (see the module's docstring). Its failure is read by the loop
    that waits on it; one nobody waits on any more (its stream went down first) is read here, not left to
    "exception never retrieved"."""
    fut = asyncio.ensure_future(call)
    fut.add_done_callback(lambda f: f.cancelled() or f.exception())
    return fut
