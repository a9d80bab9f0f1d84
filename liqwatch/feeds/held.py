"""What an adapter holds, as it applied it: the positions (evaluated or not) of its account, kept by the
adapter from the events it gave the sink, so that it never reads the store back.

The rules are the store's own ordering rules (``MonitorStore.apply``): a position update older than the last
one of its leg changes nothing; a full state replaces the legs except where an update newer than the state
was applied, unless a REST state disagrees with that newer version twice in a row (then REST's stands: the
one rule of ``liqwatch.disagreement``, applied here as the store applies it); times ahead of the exchange's
clock are forgotten with the store's (``forget_after``). So the legs held are the store's at every state:
what a hedge-mode funding split sizes each leg by, a liquidation's size before, the marks subscribed.
"""

from __future__ import annotations

from datetime import datetime

from liqwatch.disagreement import Reconciliation, Subject
from liqwatch.model import AccountState, Position, PositionUpdate, Side, UnevaluatedPosition

Key = tuple[str, Side]
Held = Position | UnevaluatedPosition


class HeldLegs:
    def __init__(self) -> None:
        self._legs: dict[Key, Held] = {}
        self._times: dict[Key, datetime] = {}  # the exchange time each leg was last said something of
        self._opened: dict[Key, datetime] = {}
        self._unmodelled = False  # the account's mode is not modelled: nothing is evaluated
        self._disagreed: set[Subject] = set()  # the legs the previous REST state disagreed about

    def positions(self) -> list[Position]:
        """The evaluated positions held (none while the account's margin mode is not modelled)."""
        if self._unmodelled:
            return []
        return [p for p in self._legs.values() if isinstance(p, Position)]

    def get(self, key: Key) -> Position | None:
        pos = self._legs.get(key)
        return pos if isinstance(pos, Position) and not self._unmodelled else None

    def symbols(self) -> set[str]:
        """Every symbol held, evaluated or not."""
        return {k[0] for k in self._legs}

    def opened_at(self, key: Key) -> datetime | None:
        """When the leg opened (its own time, else the exchange time it was first seen at)."""
        return self._opened.get(key)

    def applied(self, event: PositionUpdate | AccountState) -> None:
        """``event``, given to the sink (an update the store found stale is stale here too)."""
        if isinstance(event, AccountState):
            self._state(event)
            return
        t = event.stamp.exchange_time
        last = self._times.get(event.key)
        if last is not None and t < last:
            return
        if event.position is None:
            self._forget(event.key)
            self._times[event.key] = t
        else:
            self._put(event.key, event.position, t)

    def forget_after(self, limit: datetime) -> None:
        for key in [k for k, t in self._times.items() if t > limit]:
            del self._times[key]

    def _state(self, state: AccountState) -> None:
        as_of = state.as_of
        rest = not state.from_stream
        self._unmodelled = state.mode_not_modelled is not None
        new: dict[Key, Held] = {**{u.key: u for u in state.unevaluated}, **{p.key: p for p in state.positions}}
        # The store's decision, leg by leg (``MonitorStore._apply_state``); its notes are the store's to make.
        rec = Reconciliation("", rest, as_of, self._times, self._disagreed, dict(self._legs), new, lambda _: None)
        for key in list(self._legs):
            if key in new or rec.newer_on_stream(key):
                continue
            self._forget(key)
            if as_of is not None:
                self._times[key] = as_of
        for key, p in new.items():
            if not rec.newer_on_stream(key):
                self._put(key, p, as_of)
        if rest:
            self._disagreed = rec.disagreed

    def _put(self, key: Key, pos: Held, at: datetime | None) -> None:
        """The leg as said at exchange time ``at``; first seen: opened at its own open time, else ``at``."""
        opened = (pos.opened_at if isinstance(pos, Position) else None) or at
        if opened is not None:
            self._opened.setdefault(key, opened)
        if at is not None:
            self._times[key] = at
        self._legs[key] = pos

    def _forget(self, key: Key) -> None:
        self._legs.pop(key, None)
        self._opened.pop(key, None)
