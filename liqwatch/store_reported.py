"""A generic (ccxt) account's state in the store: its positions and balance as the exchange reported them
(``ReportedPosition``, ``ReportedBalance``), replaced by each full snapshot the adapter takes.

The adapter takes every snapshot over REST (a change on the stream only says when to take one), so ordering is
by the snapshot's ``as_of`` alone: an older snapshot than the one applied is ignored. A position missing from
a snapshot taken without such a change (the resync, the periodic reconciliation) closed while the stream was
blind, and says so, as for a native account.
"""

from __future__ import annotations

from typing import Protocol

from liqwatch.clock import Clock
from liqwatch.model import AccountState
from liqwatch.risk_events import LoggedEvent, RiskEvent, RiskEventKind
from liqwatch.store_state import _Account


class ReportedStore(Protocol):
    clock: Clock
    ignored_stale_events: int

    def report(self, event: LoggedEvent) -> None: ...


def apply_reported(store: ReportedStore, acc: _Account, state: AccountState) -> bool:
    last = acc.reported_as_of
    if state.as_of is not None and last is not None and state.as_of < last:
        store.ignored_stale_events += 1
        return False
    new = {p.key: p for p in state.reported}
    if acc.synced and not state.from_stream:
        for key, gone in acc.reported.items():
            if key not in new:
                store.report(RiskEvent(
                    RiskEventKind.CLOSED_WHILE_BLIND, acc.spec.name, f"{gone.symbol} {gone.side.value} closed while "
                    "the stream was blind (found by REST reconciliation)", store.clock.now(),
                    exchange=acc.spec.exchange, symbol=gone.symbol, side=gone.side, size=gone.size))
    now = store.clock.monotonic()
    for key, p in new.items():
        if p.liquidation_price is None:
            acc.liq_mono.pop(key, None)
        else:
            # Each snapshot is the exchange's answer of now: its liquidation price is as old as the snapshot.
            acc.liq_mono[key] = now
        if key not in acc.reported and state.as_of is not None:
            acc.opened_at.setdefault(key, state.as_of)
    for key in set(acc.reported) - set(new):
        acc.liq_mono.pop(key, None)
        acc.opened_at.pop(key, None)
    acc.reported = new
    if state.reported_balance is not None:
        acc.reported_balance = state.reported_balance
    if state.as_of is not None:
        acc.reported_as_of = state.as_of
    acc.synced = True
    return True
