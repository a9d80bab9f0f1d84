"""The shape every exchange adapter shares: channels, supervision, reconciliation, frame accounting.

An adapter owns one account. ``run()`` bootstraps over REST, then runs its streams, a reconciliation loop and
a supervisor under one task group; an exception in any of them is logged and the adapter restarts after a
backoff, so one account's failure never stops another and no task dies silently.

The handling of each frame (checks, counting, the queue of marks) is in ``adapter_frames``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

import aiohttp

from liqwatch.clock import Clock
from liqwatch.feed_channel import Channel, ChannelKind, ChannelState
from liqwatch.feed_events import AccountDisabled, ClockOffset, ModeNotModelledKnown
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.adapter_errors import AccountUnusable, MalformedFrame, ModeNotModelled
from liqwatch.feeds.adapter_frames import FrameIntake, UnknownEvents
from liqwatch.feeds.adapter_last_run import LastRunLookup
from liqwatch.feeds.adapter_marks import MarkSubscriptions
from liqwatch.feeds.adapter_pause import GateWatch
from liqwatch.feeds.adapter_streams import StreamWiring
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.coalesce import CoalescingQueue
from liqwatch.feeds.feed_stream import FeedStream
from liqwatch.feeds.frame_recorder import FrameRecorder
from liqwatch.feeds.frame_time import FUTURE_TOLERANCE_S, ServerClock
from liqwatch.feeds.held import HeldLegs
from liqwatch.feeds.key_permissions import KeyRefused
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.rest import AuthError, RateLimited, ReadOnlyGuard, RestError, RestGate, RestGates
from liqwatch.feeds.resume import SuspendDetector, resync_after_suspend
from liqwatch.feeds.sink import FeedSink, SinkEvent
from liqwatch.feeds.stream import StreamRunner
from liqwatch.model import AccountState, PositionUpdate
from liqwatch.redact import redact
from liqwatch.rest_pause import RestPause
from liqwatch.risk_events import FeedNote

log = logging.getLogger(__name__)

__all__ = ["AccountUnusable", "FeedAdapter", "MalformedFrame", "ModeNotModelled"]


class FeedAdapter(FrameIntake, GateWatch, LastRunLookup, StreamWiring, MarkSubscriptions):
    def __init__(
        self,
        account: FeedAccount,
        store: FeedSink,
        session: aiohttp.ClientSession,
        clock: Clock,
        options: FeedOptions | None = None,
        recorder: FrameRecorder | None = None,
        *, gates: RestGates | None = None,  # the Monitor's: shared by its accounts on one endpoint
    ) -> None:
        self.account = account
        # Written to, never read: what the adapter holds and owns it keeps itself (``held``, ``own_channels``).
        self.sink = store
        self.held = HeldLegs()
        self.own_channels: list[Channel] = []
        self.mark_topics: set[str] = set()  # the mark topics subscribed (``adapter_marks``)
        self._vol_seeding: set[str] = set()
        self.session = session
        self.clock = clock
        self.opts = options or FeedOptions()
        self.recorder = recorder
        self.malformed = 0
        self.unknown_events = UnknownEvents()  # bounded, as the reasons of ``bad_item``
        self._malformed_times: deque[float] = deque(maxlen=1000)
        self.streams: list[FeedStream] = []
        self._runners: dict[str, StreamRunner] = {}
        self._stream_channels: dict[str, tuple[Channel, ...]] = {}
        self.reconcile_ok = 0
        self.reconcile_failures = 0
        self._last_error: str | None = None
        self.resyncs = 0
        self._named_tasks: dict[str, asyncio.Task[None]] = {}
        # Marks from the sockets reach the store through here: under a burst only the newest per symbol
        # is applied, and the socket reader never waits for the engine.
        self.ticks = CoalescingQueue(max_keys=10_000)  # typed by FrameIntake: MarkTick or PendingMark
        # The channel a queued tick came on and when: it counts as data only once the store applied it.
        self._tick_origin: dict[tuple[object, str], tuple[Channel, float]] = {}
        self.server_clock = ServerClock(clock)
        self.implausible_times = 0  # frames rejected for an exchange time that cannot be right
        self.applied_marks: dict[tuple[object, str], float] = {}
        self.bad_items = 0
        self._bad_item_reasons: set[tuple[str, str]] = set()
        self._resync_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        # A key refused in a background task (a resync, a listen-key call): the supervisor raises it.
        self._refused: AuthError | None = None
        self._suspend = SuspendDetector(clock)
        self.suspends = 0  # suspends of the process seen (and resynced after)
        # The gate of the account's endpoint, shared with every account on it (built alone: gates of its own).
        self.gates = gates or RestGates(clock, max_body_bytes=self.opts.max_body_bytes,
                                        maintenance_retry_s=self.opts.maintenance_retry_s)
        guard = getattr(type(self), "read_only", None)
        self.gate = (self.shared_gate(guard.exchange) if isinstance(guard, ReadOnlyGuard)
                     else RestGate(clock=clock))
        self.rest_pause: RestPause | None = None  # as published to the store
        self._pause_block = -1
        self.maintenance_resyncs = 0

    @property
    def last_error(self) -> str | None:
        return self._last_error

    @last_error.setter
    def last_error(self, value: str | None) -> None:
        # Shown on screens and in `check`: never with a key, a signature or a listen key in it.
        self._last_error = redact(value) if value is not None else None

    # --- for subclasses ------------------------------------------------------------------------------
    def channel(self, name: str, kind: ChannelKind) -> Channel:
        max_age = self.opts.market_max_age_s if kind is ChannelKind.MARKET else self.opts.quiet_max_age_s
        ch = Channel(self.account.name, name, kind, max_age)
        self.own_channels.append(ch)
        self.sink.add_channel(ch)
        return ch

    def emit(self, event: SinkEvent) -> bool:
        """One event into the sink; True when applied. What the adapter holds follows what it applied."""
        applied = self.sink.apply(event)
        if isinstance(event, PositionUpdate) or (applied and isinstance(event, AccountState)):
            self.held.applied(event)
        return applied

    async def bootstrap(self) -> None:
        """One-off REST set-up (tiers, markets), retried with backoff. Raises AuthError (the key is refused:
        the account is disabled), KeyRefused (liqwatch refuses it), ModeNotModelled (not watched),
        RateLimited (waited for), any other RestError (retried); an unreadable answer is a RestError."""

    async def fetch_snapshot(self) -> AccountState:
        """The account's whole state over REST, dated by the exchange (``early_as_of`` without a time of its
        own). Raises AuthError (the key is refused), RateLimited, or another RestError (the resync or the
        reconciliation retries); an unreadable answer is a RestError, never a state applied in part."""
        raise NotImplementedError

    def on_supervise(self, now: float) -> None:
        """Periodic hook: listen-key keepalive, connection age."""

    async def on_resume(self, lost_s: float) -> None:
        """Hook, after a suspend and before the sockets reconnect (liqwatch.feeds.resume): e.g. the listen key."""

    def spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        """A supervised background task: kept referenced, and its failure is recorded and logged."""
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def key_refused(self, exc: AuthError) -> None:
        """The exchange refused the key (revoked, or its permissions removed) in a call made outside the run's
        own loops: stop the feed and disable the account, as at start; retrying cannot help."""
        if self._refused is None:
            self._refused = exc

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and isinstance(exc := task.exception(), AuthError):
            self.key_refused(exc)
        elif not task.cancelled() and (exc := task.exception()) is not None:
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.error("%s: background task failed: %s", self.account.name, self.last_error)

    def apply_snapshot(self, state: AccountState) -> None:
        """A REST snapshot, just fetched (the exchange's clock just measured): times later than that clock
        allows are dropped first, so that no earlier frame can make the exchange's own state look old."""
        limit = self.server_clock.now() + timedelta(seconds=FUTURE_TOLERANCE_S)
        self.sink.forget_times_after(self.account.name, limit)
        self.held.forget_after(limit)
        self.emit(state)
        if self.server_clock.measurements:  # the clock-skew alert reads it from the snapshot
            self.emit(ClockOffset(self.account.name, self.server_clock.offset_s))

    def replace_task(self, name: str, coro: Coroutine[Any, Any, None]) -> None:
        """Run ``coro`` as the one task called ``name``: a resync of a socket that has since been replaced
        must not carry on beside the new socket's own."""
        old = self._named_tasks.get(name)
        if old is not None and not old.done():
            old.cancel()
        task = asyncio.get_running_loop().create_task(coro)
        self._named_tasks[name] = task
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    async def resync(self, channels: list[Channel]) -> bool:
        """REST snapshot applied before channels may go LIVE again; True on success."""
        async with self._resync_lock:
            if self.gate.maintenance and self.gate.remaining() > 0:
                return False  # nothing may go out: the channels stay MAINTENANCE (``watch_gate``)
            for ch in channels:
                ch.resyncing("REST resync")
            try:
                state = await self.fetch_snapshot()
            except AuthError as exc:
                self.key_refused(exc)
                return False
            except RestError as exc:
                self.last_error = str(exc)
                for ch in channels:
                    ch.failed(f"resync failed: {exc}")
                return False
            self.apply_snapshot(state)
            self.resyncs += 1
            self.after_snapshot(state)
            now = self.clock.monotonic()
            for ch in self.own_channels:
                if ch in channels:
                    ch.synced(now)
                elif ch.kind is ChannelKind.QUIET:
                    ch.reconciled(now)
            return True

    async def resync_until_ok(self, channels: list[Channel], stream: FeedStream | None) -> bool:
        """Retry the snapshot with backoff while the stream stays up; channels stay SYNCING meanwhile."""
        backoff = Backoff(self.opts.backoff_base_s, 2.0, self.opts.backoff_cap_s)
        while True:
            if await self.resync(channels):
                return True
            if stream is None or not stream.connected or self._refused is not None:
                return False
            await asyncio.sleep(max(0.05, backoff.next_delay(), self.gate.remaining()))

    async def _reconcile_loop(self) -> None:
        backoff = Backoff(1.0, 2.0, 30.0)
        while True:
            await asyncio.sleep(self.opts.reconcile_interval_s)
            try:
                state = await self.fetch_snapshot()
            except RateLimited as exc:
                self.reconcile_failures += 1
                self.last_error = str(exc)
                self.watch_gate()
                await asyncio.sleep(exc.retry_after_s)
                continue
            except AuthError:
                raise  # a key revoked while running: every signed call will fail the same way
            except RestError as exc:
                self.reconcile_failures += 1
                self.last_error = str(exc)
                await asyncio.sleep(backoff.next_delay())
                continue
            backoff.reset()
            self.apply_snapshot(state)
            self.after_snapshot(state)
            self.reconcile_ok += 1
            now = self.clock.monotonic()
            for ch in self.own_channels:
                if ch.kind is ChannelKind.QUIET:
                    ch.reconciled(now)

    async def _supervise(self) -> None:
        resubscribed: dict[str, float] = {}
        while True:
            await asyncio.sleep(self.opts.supervisor_interval_s)
            if self._refused is not None:
                raise self._refused  # out of the task group: run() disables the account
            if (lost := self._suspend.tick()) is not None:
                self.replace_task("resume", resync_after_suspend(self, lost))
            now = self.clock.monotonic()
            for ch in self.own_channels:
                state = ch.check(now)
                if ch.kind is not ChannelKind.MARKET or state is not ChannelState.STALE:
                    resubscribed.pop(ch.name, None)
                    continue
                stream = self.stream_of(ch)
                if stream is None or not stream.connected or self._loop_held(now):
                    continue  # after an event-loop stall the socket is not to blame: no remedy
                # A market channel without data: resubscribe once, then reconnect if that did not help.
                if ch.name not in resubscribed:
                    resubscribed[ch.name] = now
                    await self.resubscribe(ch)
                elif now - resubscribed[ch.name] > ch.max_age_s:
                    resubscribed.pop(ch.name, None)
                    why = ch.no_data_detail(now) if ch.silent_for(now) is not None else "subscribed but no data"
                    stream.force_reconnect(f"{ch.name}: {why}")
            self.watch_gate()
            self.on_supervise(now)
            self._renew_streams(now)
            # The last run's "seen at" is local: to the exchange's clock as measured now, like every ``since``.
            closed = self.sink.take_closed_since_last_run(self.account.name, self.server_clock.exchange_time)
            if closed:
                self.spawn(self._explain_closed(closed))

    def _loop_held(self, now: float) -> bool:
        lag = self.sink.loop_lag
        return lag is not None and lag.holding(now)

    def _renew_streams(self, now: float) -> None:
        """Renew each socket before the exchange's scheduled close, make-before-break (``StreamRunner.renew``).
        Staggered: the n-th socket of the account falls due ``n × renew_stagger_s`` earlier than the first, and
        only one renews at a time, so the account's market and user sockets never change over together."""
        if any(s.renewing for s in self.streams):
            return
        for i, s in enumerate(self.streams):
            due = self.opts.max_connection_age_s - i * self.opts.renew_stagger_s
            if s.connected and s.opened_at is not None and now - s.opened_at >= due:
                s.renew(f"scheduled, {due / 3600:.2f} h after it opened, before the exchange's own close")
                return

    async def run(self) -> None:
        """Run until cancelled; restarts itself after unexpected errors (never silently)."""
        restart = Backoff(1.0, 2.0, 60.0)
        while True:
            try:
                await self._run_once()
            except (AuthError, KeyRefused, AccountUnusable) as exc:
                self._disable_refused(exc)
                return
            except ModeNotModelled as exc:
                self.last_error = f"mode not modelled: {exc}"
                log.error("%s: account mode not modelled, not watching it: %s", self.account.name, exc)
                self.emit(ModeNotModelledKnown(self.account.name, str(exc), halted=True))
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.exception("%s: feed crashed; restarting", self.account.name)
            for ch in self.own_channels:
                ch.reconnecting(self.last_error or "restarting")
            await asyncio.sleep(restart.next_delay())

    def _disable_refused(self, exc: AuthError | KeyRefused | AccountUnusable) -> None:
        """The key was refused (by the exchange, at start or while running, or by liqwatch for what it may do):
        the account is disabled with the reason, the exchange's own message included, its channels are down
        (never left LIVE on a feed that stopped), and a line in the incident log raises the alert at once."""
        self.last_error = str(exc)
        what = ("authentication failed" if isinstance(exc, AuthError) else "not watchable"
                if isinstance(exc, AccountUnusable) else "API key refused")
        reason = f"{what}: {self.last_error}"
        log.error("%s: %s, not watching the account: %s", self.account.name, what, self.last_error)
        self.emit(AccountDisabled(self.account.name, reason))
        for ch in self.own_channels:
            ch.reconnecting(f"disabled: {reason}")
        told = "API key refused by the exchange; " if isinstance(exc, AuthError) else ""
        self.sink.report(FeedNote(self.account.name, f"{told}the account is no longer watched ({reason})",
                                  self.clock.now(), exchange=self.account.exchange))

    async def _run_once(self) -> None:
        await self._bootstrap_with_retry()
        self.streams = self.build_streams()
        try:
            async with asyncio.TaskGroup() as tg:
                for s in self.streams:
                    tg.create_task(s.run(), name=f"{self.account.name}:{s.name}")
                tg.create_task(self._reconcile_loop(), name=f"{self.account.name}:reconcile")
                tg.create_task(self._supervise(), name=f"{self.account.name}:supervise")
                tg.create_task(self._apply_ticks(), name=f"{self.account.name}:ticks")
        except BaseExceptionGroup as group:
            # A revoked key surfaces from inside the group: it must disable the account, not restart it.
            auth = group.subgroup(AuthError)
            if auth is not None:
                raise _first_leaf(auth) from None
            raise
        finally:
            for task in list(self._tasks):
                task.cancel()

    async def _bootstrap_with_retry(self) -> None:
        backoff = Backoff(self.opts.backoff_base_s, 2.0, self.opts.backoff_cap_s)
        while True:
            try:
                await self.bootstrap()
                self.seed_volatility_once({p.symbol for p in self.held.positions()} | set(self.account.symbols))
                return
            except RateLimited as exc:
                self.last_error = str(exc)
                self.watch_gate()  # a ban or a maintenance met at start is shown at once
                if not self.gate.maintenance:  # said on the channels too (a ccxt request never reaches the gate)
                    self._bootstrap_failed(f"bootstrap rate limited: {exc}", exc.retry_after_s)
                await asyncio.sleep(exc.retry_after_s)
            except AuthError:
                raise
            except RestError as exc:
                self.last_error = str(exc)
                delay = backoff.next_delay()
                self._bootstrap_failed(f"bootstrap failed: {exc}", delay)
                await asyncio.sleep(delay)

    def _bootstrap_failed(self, detail: str, retry_in_s: float) -> None:
        retry = self.clock.monotonic() + retry_in_s
        for ch in self.own_channels:
            ch.connecting(detail)
            ch.retry_at(retry)


def _first_leaf(group: BaseExceptionGroup[AuthError]) -> AuthError:
    first = group.exceptions[0]
    return _first_leaf(first) if isinstance(first, BaseExceptionGroup) else first

