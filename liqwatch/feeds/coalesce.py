"""A bounded hand-off that keeps only the latest value per key under bursts.

The socket reader must never block (a blocked reader starves pong replies and the exchange drops us), and
memory must stay bounded. Mark prices and positions are states, not deltas: when the consumer lags, the
newest value per key is all that matters, so a burst of 10,000 ticks of one symbol costs one slot.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Hashable
from typing import Generic, TypeVar

T = TypeVar("T")


class CoalescingQueue(Generic[T]):
    def __init__(self, max_keys: int = 10_000) -> None:
        self._items: OrderedDict[Hashable, T] = OrderedDict()
        self._max_keys = max_keys
        self._event = asyncio.Event()
        self.coalesced = 0
        self.dropped = 0

    def put(self, key: Hashable, item: T) -> None:
        if key in self._items:
            self._items[key] = item  # keeps its place in line: fairness between keys
            self.coalesced += 1
        else:
            if len(self._items) >= self._max_keys:
                self._items.popitem(last=False)
                self.dropped += 1
            self._items[key] = item
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
