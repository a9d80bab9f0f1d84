"""A bounded hand-off that keeps only the latest value per key under bursts.

The socket reader must never block (a blocked reader starves pong replies and the exchange drops us), and
memory must stay bounded. Mark prices and positions are states, not deltas: when the consumer lags, the
newest value per key is all that matters, so a burst of 10,000 ticks of one symbol costs one slot.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class CoalescingQueue(Generic[T]):
    def __init__(self, max_keys: int = 10_000) -> None:
        # A plain dict (insertion-ordered, and cheaper to update than an OrderedDict): every frame passes here.
        self._items: dict[Hashable, T] = {}
        self._max_keys = max_keys
        self._event = asyncio.Event()
        self.coalesced = 0
        self.dropped = 0

    def put(self, key: Hashable, item: T) -> None:
        items = self._items
        if key in items:
            items[key] = item  # keeps its place in line: fairness between keys
            self.coalesced += 1
            return  # the event is set already: it is cleared only with the items (``drain``)
        if len(items) >= self._max_keys:
            del items[next(iter(items))]  # the oldest key
            self.dropped += 1
        items[key] = item
        self._event.set()

    def peek(self, key: Hashable) -> T | None:
        return self._items.get(key)

    def drain(self) -> list[T]:
        items = list(self._items.values())
        self._items.clear()
        self._event.clear()
        return items

    async def wait(self) -> list[T]:
        while not self._items:
            await self._event.wait()
        return self.drain()

    def __len__(self) -> int:
        return len(self._items)
