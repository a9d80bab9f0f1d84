"""What an adapter holds, as it applied it: the positions (evaluated or not) of its account, kept by the
adapter from the events it gave the sink, so that it never reads the store back.

The rules are the store's own ordering rules (``MonitorStore.apply``): a position update older than the last
one of its leg changes nothing; a full state replaces the legs except where an update newer than the state
was applied; times ahead of the exchange's clock are forgotten with the store's (``forget_after``). One
difference is known and harmless for what the adapters use this for (which marks to subscribe, a leg's
size before a fill, the liquidation price to carry over): where a REST state disagrees twice in a row with
a newer stream version, the store takes the state (``disagreement``); this keeps the stream's until the
next state.
"""

from __future__ import annotations

from datetime import datetime

from liqwatch.model import AccountState, Position, PositionUpdate, Side, UnevaluatedPosition

Key = tuple[str, Side]
Held = Position | UnevaluatedPosition


class HeldLegs:
    def __init__(self) -> None:
        self._legs: dict[Key, Held] = {}
        self._times: dict[Key, datetime] = {}  # the exchange time each leg was last said something of
        self._opened: dict[Key, datetime] = {}
        self._unmodelled = False  # the account's mode is not modelled: nothing is evaluated

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

    def _newer(self, key: Key, as_of: datetime | None) -> bool:
        t = self._times.get(key)
        return as_of is not None and t is not None and t > as_of

    def _state(self, state: AccountState) -> None:
        as_of = state.as_of
        self._unmodelled = state.mode_not_modelled is not None
        new: dict[Key, Held] = {**{u.key: u for u in state.unevaluated}, **{p.key: p for p in state.positions}}
        for key in list(self._legs):
            if key in new or self._newer(key, as_of):
                continue
            self._forget(key)
            if as_of is not None:
                self._times[key] = as_of
        for key, p in new.items():
            if not self._newer(key, as_of):
                self._put(key, p, as_of)

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
