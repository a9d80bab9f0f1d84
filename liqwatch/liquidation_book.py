"""One account's liquidation bookkeeping in the store: the liquidations listed until acknowledged, and the
positions to look up in the exchange's history (closed since the last run, or while the stream was blind).

Every look-up's ``since`` is on the exchange's clock (``ExchangeTime``), as its history is. A position found
gone while blind is dated with the exchange time it was last seen at; the last run's "seen at" is on that
run's local clock, so it is converted when handed out, with the exchange's clock as the adapter measures it
then (the local clock's offset is the machine's, not the run's).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from liqwatch.liquidations import ClosedSinceLastRun, ExchangeTime, LiquidatedPosition, PreviousRun
from liqwatch.model import Side

Key = tuple[str, Side]


@dataclass
class LiquidationBook:
    records: dict[Key, LiquidatedPosition] = field(default_factory=dict)
    previous: PreviousRun | None = None  # the positions the last run saw, until compared with this one's
    _gone: PreviousRun | None = field(default=None, init=False)  # of those, the ones this run does not hold
    _blind: list[ClosedSinceLastRun] = field(default_factory=list, init=False)

    def record(self, liq: LiquidatedPosition) -> None:
        """Later slices of the same leg add up."""
        prev = self.records.get(liq.key)
        self.records[liq.key] = prev.merged(liq) if prev is not None else liq

    def release(self, key: Key) -> bool:
        return self.records.pop(key, None) is not None

    def compare_with_last_run(self, held: set[Key]) -> None:
        """``held``: every position this run holds, evaluated or not (one not evaluated is still open)."""
        prev, self.previous = self.previous, None
        if prev is None:
            return
        gone = tuple(p for p in prev.positions if (p[0], p[1]) not in held and (p[0], p[1]) not in self.records)
        if gone:
            self._gone = PreviousRun(prev.seen_at, gone)

    def closed_while_blind(self, symbol: str, side: Side, size: float, last_seen: datetime | None) -> None:
        """A REST reconciliation found the position gone; ``last_seen`` on the exchange's clock. Without one
        (no adapter sends a REST state without a time) there is no window to search: the incident says it."""
        if (symbol, side) not in self.records and last_seen is not None:
            self._blind.append(ClosedSinceLastRun(symbol, side, size, ExchangeTime(last_seen), "blind"))

    def take(self, to_exchange: Callable[[datetime], datetime]) -> list[ClosedSinceLastRun]:
        """The look-ups due, each handed out once; ``to_exchange`` maps a local wall time to the exchange's."""
        out = []
        if self._gone is not None:
            since = ExchangeTime(to_exchange(self._gone.seen_at))
            out = [ClosedSinceLastRun(s, side, size, since) for s, side, size in self._gone.positions]
        out += self._blind
        self._gone, self._blind = None, []
        return out
