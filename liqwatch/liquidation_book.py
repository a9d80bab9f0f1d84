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

from liqwatch.liquidations import (
    ClosedSinceLastRun,
    ExchangeTime,
    LiquidatedPosition,
    PreviousRun,
)
from liqwatch.model import Side
from liqwatch.status import Status

Key = tuple[str, Side]

#: A failed look-up is asked again after 2 s, then twice as long each time, at most every 5 minutes: a
#: transient error (a 503) is absorbed within seconds, an exchange down for long is not hammered.
RETRY_FIRST_S = 2.0
RETRY_MAX_S = 300.0
#: After this many failures in a row the incident says the liquidation status is unknown (asked on).
FAILURES_BEFORE_UNKNOWN = 5


@dataclass
class _Lookup:
    closed: ClosedSinceLastRun
    failures: int = 0
    due: float | None = None  # monotonic time of the next try; None while one is under way


@dataclass
class LiquidationBook:
    records: dict[Key, LiquidatedPosition] = field(default_factory=dict)
    previous: PreviousRun | None = None  # the positions the last run saw, until compared with this one's
    _gone: PreviousRun | None = field(default=None, init=False)  # of those, the ones this run does not hold
    _blind: list[ClosedSinceLastRun] = field(default_factory=list, init=False)
    #: Look-ups handed out and not answered yet (or failed, to be asked again): while any is, the account's
    #: liquidation status is not known, and it never reads "ok".
    _unresolved: dict[Key, _Lookup] = field(default_factory=dict, init=False)

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

    def take(self, to_exchange: Callable[[datetime], datetime], now: float = 0.0) -> list[ClosedSinceLastRun]:
        """The look-ups due: new ones, and failed ones whose retry time (monotonic ``now``) has come. Each is
        out until ``answered``; ``to_exchange`` maps a local wall time to the exchange's."""
        out = []
        if self._gone is not None:
            since = ExchangeTime(to_exchange(self._gone.seen_at))
            out = [ClosedSinceLastRun(s, side, size, since) for s, side, size in self._gone.positions]
        out += self._blind
        self._gone, self._blind = None, []
        for c in out:
            self._unresolved[c.key] = _Lookup(c)
        for lookup in self._unresolved.values():
            if lookup.due is not None and lookup.due <= now:
                lookup.due = None
                out.append(lookup.closed)
        return out

    def answered(self, closed: ClosedSinceLastRun, ok: bool, now: float) -> int:
        """The adapter's word on a look-up: ``ok`` (the history answered, whatever it said) resolves it;
        a failure schedules the next try. The number of failures in a row (0 when resolved)."""
        lookup = self._unresolved.get(closed.key)
        if lookup is None or lookup.closed != closed:
            return 0
        if ok:
            del self._unresolved[closed.key]
            return 0
        lookup.failures += 1
        lookup.due = now + min(RETRY_MAX_S, RETRY_FIRST_S * 2.0 ** (lookup.failures - 1))
        return lookup.failures

    def unresolved_status(self) -> Status | None:
        """A position gone whose history was not read yet keeps its account at least warning (it may have
        been liquidated): never "ok" while we do not know. None: nothing to say."""
        return Status.WARNING if self._unresolved else None
