"""Runs the feeds of several accounts into one store: what ``check``, ``demo`` and the App share.

Each account's adapter runs as its own task; one account failing (bad key, dead endpoint) never stops the
others. Exchanges without a live adapter yet are listed as disabled with the reason.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import aiohttp

from liqwatch.clock import Clock, SystemClock
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.feeds.frame_recorder import FrameRecorder
from liqwatch.feeds.from_config import build_adapter
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.registry import feed_entry
from liqwatch.feeds.rest import RestGates
from liqwatch.loop_lag import LoopLag
from liqwatch.model import AccountSpec, ExchangeId
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.registry import rules_for
from liqwatch.store import MonitorStore


def _book_rules(exchange: ExchangeId, taker_fee_rate: float | None = None) -> ExchangeRisk:
    """The risk rules of the account's book. An exchange without rules of ours (a ccxt one) keeps its book
    empty (its figures are the exchange's: ``reported_only``): the base rules fill the slot and never evaluate
    anything."""
    rules = rules_for(exchange)
    return rules(taker_fee_rate) if rules is not None else ExchangeRisk(taker_fee_rate)


class Monitor:
    def __init__(
        self,
        accounts: Iterable[FeedAccount],
        *,
        disabled: dict[str, tuple[ExchangeId, str]] | None = None,
        clock: Clock | None = None,
        options: FeedOptions | None = None,
        thresholds: ThresholdMap | None = None,
        record_path: Path | None = None,
        loop_lag: LoopLag | None = None,
    ) -> None:
        self.clock = clock or SystemClock()
        self.options = options or FeedOptions()
        self.store = MonitorStore(self.clock, thresholds, market_max_age_s=self.options.market_max_age_s)
        self.accounts = list(accounts)
        # The event loop's stall detector: a stall holds every channel not LIVE (see liqwatch.loop_lag).
        self.loop_lag = loop_lag or LoopLag(self.clock)
        self.loop_lag.on_stall(self._hold_channels)
        self.store.loop_lag = self.loop_lag
        self._disabled = dict(disabled or {})
        self.recorder = FrameRecorder(record_path) if record_path is not None else None
        # The REST gates of this Monitor's endpoints, on its clock and with its limits (never another Monitor's).
        self.gates = RestGates(self.clock, max_body_bytes=self.options.max_body_bytes,
                               maintenance_retry_s=self.options.maintenance_retry_s)
        self.adapters: list[FeedAdapter] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Monitor:
        self._session = aiohttp.ClientSession()
        self._tasks.append(asyncio.create_task(self.loop_lag.run(), name="loop-lag"))
        for name, (exchange, reason) in self._disabled.items():
            self.store.add_account(AccountSpec(name, exchange), _book_rules(exchange, 0.0005))
            self.store.disable_account(name, reason)
        for acc in self.accounts:
            entry = feed_entry(acc.exchange)
            # An exchange without rules of ours (a generic ccxt account) shows the exchange's figures only.
            self.store.add_account(AccountSpec(acc.name, acc.market_exchange), _book_rules(acc.exchange),
                                   reported_only=rules_for(acc.exchange) is None)
            if entry is None:
                what = f"{acc.exchange} ({acc.ccxt_id})" if acc.ccxt_id else acc.exchange
                hint = " (use `liqwatch calc` for its risk math)" if rules_for(acc.exchange) else ""
                self.store.disable_account(acc.name, f"{what}: no live feed yet{hint}")
                continue
            try:
                adapter = build_adapter(acc, self.store, self._session, self.clock, self.options, self.recorder,
                                        gates=self.gates)
                assert adapter is not None  # its entry was found above
            except ValueError as exc:
                self.store.disable_account(acc.name, str(exc))
                continue
            self.adapters.append(adapter)
            self._tasks.append(asyncio.create_task(adapter.run(), name=f"feed:{acc.name}"))
        return self

    async def __aexit__(
        self, et: type[BaseException] | None, ev: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        self._tasks.clear()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self.recorder is not None:
            self.recorder.close()

    def _hold_channels(self, lag_s: float, until: float) -> None:
        for name in self.store.account_names():
            for ch in self.store.channels(name):
                ch.hold(until, f"event loop stalled {lag_s:.1f} s: data may have waited in the socket buffer")

    def all_live(self) -> bool:
        return self.store.all_live()

    async def wait_live(self, timeout_s: float, poll_s: float = 0.01) -> bool:
        """Whether every feed went LIVE within ``timeout_s``. Polled, not woken: LIVE is also a matter of time (a
        channel's age) and of each account's sync, set in many places; ``all_live`` costs microseconds, and a
        10 ms poll is what ``check --demo``'s start-up can lose to it (50 ms was up to a twentieth of it)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline:
            if self.all_live():
                return True
            await asyncio.sleep(poll_s)
        return self.all_live()
