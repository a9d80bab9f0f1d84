"""How an adapter calls REST (``rest``: the exchange's allowlist, the endpoint's shared gate) and meets a
paused endpoint (``RestGate``): an IP ban or a maintenance, whichever account's request met it, is published
to the store with its end on the wall clock; under maintenance every channel reads MAINTENANCE, and when it
ends all of them are resynced in full. A mixin of ``FeedAdapter``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import Any, ClassVar

import aiohttp

from liqwatch.clock import Clock
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.channel import Channel
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.pause import PauseKind, RestPause
from liqwatch.feeds.rest import ReadOnlyGuard, RestGate, request_json
from liqwatch.feeds.sink import FeedSink

log = logging.getLogger("liqwatch.feeds.adapter")
# One REST gate per (exchange, endpoint base URL), shared by every account on it.
_GATES: dict[tuple[str, str], RestGate] = {}


class GateWatch:
    session: aiohttp.ClientSession
    account: FeedAccount
    sink: FeedSink
    own_channels: list[Channel]
    clock: Clock
    opts: FeedOptions
    gate: RestGate
    rest_pause: RestPause | None
    _pause_block: int
    maintenance_resyncs: int

    #: The exchange's read-only allowlist: every REST call is checked against it before it is sent.
    read_only: ClassVar[ReadOnlyGuard]
    #: The exchange's error codes that say the key is refused (an AuthError, not retried), on keyed calls.
    auth_codes: ClassVar[frozenset[int]] = frozenset()

    async def rest(self, method: str, url: str, *, params: dict[str, str] | None = None, json_body: Any = None,
                   headers: dict[str, str] | None = None, keyed: bool = False) -> Any:
        """The one way an adapter calls REST (``request_json``): through the exchange's allowlist and the
        endpoint's shared gate. ``keyed``: made with the API key, so ``auth_codes`` mean a refused key. Raises
        RestError (AuthError, RateLimited, ApiError) as ``request_json`` does."""
        return await request_json(self.session, method, url, guard=self.read_only, gate=self.gate,
                                  timeout_s=self.opts.request_timeout_s, params=params, json_body=json_body,
                                  headers=headers, auth_codes=self.auth_codes if keyed else frozenset())

    def replace_task(self, name: str, coro: Coroutine[Any, Any, None]) -> None:
        raise NotImplementedError

    async def resync(self, channels: list[Channel]) -> bool:
        raise NotImplementedError

    def shared_gate(self, exchange: str) -> RestGate:
        """The REST gate of this account's endpoint, shared by every account of ``exchange`` on it (a ban or a
        rate limit is per IP and endpoint), with our limits."""
        gate = _GATES.setdefault((exchange, self.account.rest_url), RestGate())
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
                self.sink.set_rest_pause(self.account.name, None)
                if was.kind is PauseKind.MAINTENANCE:
                    self.replace_task("after-maintenance", self._resync_after_maintenance())
            return
        if self.rest_pause is None or self.rest_pause.kind is not kind or self._pause_block != gate.blocks:
            until = self.clock.now() + timedelta(seconds=gate.remaining())
            self.rest_pause, self._pause_block = RestPause(kind, until, gate.reason), gate.blocks
            self.sink.set_rest_pause(self.account.name, self.rest_pause)
            log.warning("%s: %s", self.account.name, self.rest_pause.describe(self.account.exchange.value))
        if kind is PauseKind.MAINTENANCE:
            detail = f"exchange under maintenance ({gate.reason}), next try {self.rest_pause.until:%H:%M:%S} UTC"
            for ch in self.own_channels:
                ch.maintenance(detail)

    async def _resync_after_maintenance(self) -> None:
        """Every channel from a fresh REST snapshot: what happened during the maintenance is unknown."""
        channels = self.own_channels
        backoff = Backoff(self.opts.backoff_base_s, 2.0, self.opts.backoff_cap_s)
        while True:
            if await self.resync(channels):
                self.maintenance_resyncs += 1
                return
            await asyncio.sleep(max(0.05, backoff.next_delay(), self.gate.remaining()))
