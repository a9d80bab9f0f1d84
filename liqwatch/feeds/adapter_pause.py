"""How an adapter meets a paused REST endpoint (``RestGate``): an IP ban or a maintenance, whichever account's
request met it, is published to the store with its end on the wall clock; under maintenance every channel
reads MAINTENANCE, and when it ends all of them are resynced in full. A mixin of ``FeedAdapter``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any

from liqwatch.clock import Clock
from liqwatch.feed_channel import Channel
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.rest import RestGate
from liqwatch.rest_pause import PauseKind, RestPause
from liqwatch.store import MonitorStore

log = logging.getLogger("liqwatch.feeds.adapter")


class GateWatch:
    account: FeedAccount
    store: MonitorStore
    clock: Clock
    opts: FeedOptions
    gate: RestGate
    rest_pause: RestPause | None
    _pause_block: int
    maintenance_resyncs: int

    def replace_task(self, name: str, coro: Coroutine[Any, Any, None]) -> None:
        raise NotImplementedError

    async def resync(self, channels: list[Channel]) -> bool:
        raise NotImplementedError

    def shared_gate(self, gates: dict[str, RestGate]) -> RestGate:
        """The REST gate of this account's endpoint, shared by every account on it, with our limits."""
        gate = gates.setdefault(self.account.rest_url, RestGate(clock=self.clock))
        gate.max_body_bytes = self.opts.max_body_bytes
        gate.maintenance_retry_s = self.opts.maintenance_retry_s
        return gate

    def watch_gate(self) -> None:
        """Publish a ban or a maintenance of this endpoint (whichever account's request met it) to the store,
        with its end on the wall clock; while under maintenance every channel reads MAINTENANCE, and when it
        ends all of them are resynced in full."""
        gate = self.gate
        kind = (PauseKind.BANNED if gate.ban_in_force()
                else PauseKind.MAINTENANCE if gate.maintenance else None)
        if kind is None:
            was, self.rest_pause = self.rest_pause, None
            if was is not None:
                self.store.set_rest_pause(self.account.name, None)
                if was.kind is PauseKind.MAINTENANCE:
                    self.replace_task("after-maintenance", self._resync_after_maintenance())
            return
        if self.rest_pause is None or self.rest_pause.kind is not kind or self._pause_block != gate.blocks:
            until = self.clock.now() + timedelta(seconds=gate.remaining())
            self.rest_pause, self._pause_block = RestPause(kind, until, gate.reason), gate.blocks
            self.store.set_rest_pause(self.account.name, self.rest_pause)
            log.warning("%s: %s", self.account.name, self.rest_pause.describe(self.account.exchange))
        if kind is PauseKind.MAINTENANCE:
            detail = f"exchange under maintenance ({gate.reason}), next try {self.rest_pause.until:%H:%M:%S} UTC"
            for ch in self.store.channels(self.account.name):
                ch.maintenance(detail)

    async def _resync_after_maintenance(self) -> None:
        """Every channel from a fresh REST snapshot: what happened during the maintenance is unknown."""
        channels = self.store.channels(self.account.name)
        backoff = Backoff(self.opts.backoff_base_s, 2.0, self.opts.backoff_cap_s)
        while True:
            if await self.resync(channels):
                self.maintenance_resyncs += 1
                return
            await asyncio.sleep(max(0.05, backoff.next_delay(), self.gate.remaining()))
