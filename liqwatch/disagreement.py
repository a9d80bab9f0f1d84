"""When the stream's state and the exchange's REST state disagree, and for how long the stream may win.

A REST snapshot normally yields to what the stream said after the snapshot was requested (so a resync never
brings back a position that just closed). That rule alone lets a stream event with a wrong but plausible time
hold state against every snapshot; so when two reconciliations in a row disagree with the stream's version of
the same thing, the exchange's REST state replaces it (and an incident says so). Nothing can be stuck for
longer than two reconciliation intervals.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import datetime

from liqwatch.model import Position, Side, UnevaluatedPosition

#: What can disagree: one position (by key) or the wallet.
WALLET = "wallet"
Key = tuple[str, Side]
Subject = Key | str
#: A position held, evaluated or not: both are compared alike (size and entry; evaluability is not state).
Held = Position | UnevaluatedPosition


def positions_agree(stream: Held | None, rest: Held | None) -> bool:
    if stream is None or rest is None:
        return stream is rest
    a, b = stream.entry_price, rest.entry_price
    x, y = stream.size, rest.size
    return (x is y if x is None or y is None else math.isclose(x, y, rel_tol=1e-9)) and (
        a is b if a is None or b is None else math.isclose(a, b, rel_tol=1e-9))


def wallets_agree(stream: float, rest: float) -> bool:
    # Beyond rounding only: Hyperliquid's wallet is derived from two figures each rounded to 6 decimals.
    return math.isclose(stream, rest, rel_tol=1e-7, abs_tol=1e-3)


def describe(subject: Subject) -> str:
    """The note (about the account named ``Reconciliation.account``) that REST replaced the stream's state."""
    what = "the wallet" if isinstance(subject, str) else f"{subject[0]} {subject[1].value}"
    return (f"{what}: the stream's state disagreed with two REST reconciliations in a row; "
            "replaced by the exchange's REST state")


class Reconciliation:
    """One full state against what the stream said: which version of each subject stands. ``last_times``:
    each position's last applied (exchange) time; ``disagreed_before``: the subjects the previous REST
    reconciliation disagreed about. After it, ``disagreed`` is this one's and ``replaced`` the subjects
    whose stream version lost to REST (each reported with ``report``, as a note about the account)."""

    def __init__(self, account: str, rest: bool, as_of: datetime | None, last_times: Mapping[Key, datetime],
                 disagreed_before: set[Subject], held: Mapping[Key, Held], new: Mapping[Key, Held],
                 report: Callable[[str], None]) -> None:
        self.account, self.rest, self.as_of, self.last_times = account, rest, as_of, last_times
        self.before, self.held, self.new, self.report = disagreed_before, held, new, report
        self.disagreed: set[Subject] = set()
        self.replaced: set[Subject] = set()
        self._decided: dict[Key, bool] = {}

    def stream_wins(self, subject: Subject, agree: bool) -> bool:
        """A REST state that disagrees with the stream's newer version twice in a row replaces it."""
        if not self.rest or agree:
            return True
        self.disagreed.add(subject)
        if subject not in self.before:
            return True
        self.report(describe(subject))
        self.replaced.add(subject)
        return False

    def newer_on_stream(self, key: Key) -> bool:
        """The stream's version of this position (evaluated or not, or its close) stands over the state's."""
        if key not in self._decided:  # decided once per key: the rule counts (and reports) each key once
            t = self.last_times.get(key)
            self._decided[key] = not (self.as_of is None or t is None or t <= self.as_of) and self.stream_wins(
                key, positions_agree(self.held.get(key), self.new.get(key)))
        return self._decided[key]
