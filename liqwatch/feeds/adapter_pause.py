"""How an adapter calls REST (``rest``: the exchange's allowlist, the endpoint's shared gate) and meets a
paused endpoint (``RestGate``): an IP ban or a maintenance, whichever account's request met it, is published
to the store with its end on the wall clock; under maintenance every channel reads MAINTENANCE, and when it
ends all of them are resynced in full. A mixin of ``FeedAdapter``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Mapping
from datetime import timedelta
from typing import Any, ClassVar

import aiohttp

from liqwatch.clock import Clock
from liqwatch.feed_channel import Channel
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.backoff import Backoff
from liqwatch.feeds.options import FeedOptions
from liqwatch.feeds.rest import HTTP_STATUS_ERRORS, ReadOnlyGuard, RestGate, RestGates, request_json
from liqwatch.feeds.rest_errors import ErrorDecoder
from liqwatch.feeds.sink import FeedSink
from liqwatch.rest_pause import PauseKind, RestPause

log = logging.getLogger("liqwatch.feeds.adapter")


class GateWatch:
    session: aiohttp.ClientSession
    account: FeedAccount
    sink: FeedSink
    own_channels: list[Channel]
    clock: Clock
    opts: FeedOptions
    gate: RestGate
    gates: RestGates
    rest_pause: RestPause | None
    _pause_block: int
    maintenance_resyncs: int

    #: The exchange's read-only allowlist: every REST call is checked against it before it is sent.
    read_only: ClassVar[ReadOnlyGuard]
    #: How the exchange's answers tell an error from a success (liqwatch.feeds.rest_errors): its own codes,
    #: also in an HTTP 200 envelope. The default reads the HTTP status alone.
    errors: ClassVar[ErrorDecoder] = HTTP_STATUS_ERRORS

    async def rest(self, method: str, url: str, *, params: Mapping[str, str] | None = None, json_body: Any = None,
                   headers: Mapping[str, str] | None = None) -> Any:
        """The one way an adapter calls REST (``request_json``): through the exchange's allowlist, the
        endpoint's shared gate and the exchange's error decoder. Raises RestError (AuthError, RateLimited,
        ClockRejected, ApiError) as ``request_json`` does."""
        return await request_json(self.session, method, url, guard=self.read_only, gate=self.gate,
                                  timeout_s=self.opts.request_timeout_s, params=params, json_body=json_body,
                                  headers=headers, errors=self.errors)

    def replace_task(self, name: str, coro: Coroutine[Any, Any, None]) -> None:
        raise NotImplementedError

    async def resync(self, channels: list[Channel]) -> bool:
        raise NotImplementedError

    def shared_gate(self, exchange: str) -> RestGate:
        """The REST gate of this account's endpoint, shared by every account of ``exchange`` on it (a ban or a
        rate limit is per IP and endpoint) through the Monitor's ``gates``: on its clock, with its limits."""
        return self.gates.gate(exchange, self.account.rest_url)

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
            log.warning("%s: %s", self.account.name, self.rest_pause.describe(self.account.exchange))
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
