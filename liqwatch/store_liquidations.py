"""The store's liquidations and exchange risk events: kept per account until their alert is acknowledged
(the account's status holds at their level meanwhile), and the comparison with the last run's positions.
A mixin of ``MonitorStore``: it works on the store's accounts and its log of typed events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from liqwatch.alert_levels import AlertLevel, max_level
from liqwatch.clock import Clock
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition, PreviousRun
from liqwatch.model import Side
from liqwatch.risk_events import EventLog, FeedNote, LoggedEvent, RiskEvent
from liqwatch.store_changes import ChangesMixin
from liqwatch.store_state import HELD_EVENTS, HELD_LEVEL, _Account, supersedes


class LiquidationsMixin(ChangesMixin):
    _accounts: dict[str, _Account]
    events: EventLog
    version: int
    clock: Clock

    # --- typed events ----------------------------------------------------------------------------------
    def report(self, event: LoggedEvent) -> None:
        """A typed event from a feed (or from the store's own reconciliation), logged: the alerts, the history
        and the screens read the log. An exchange risk event that holds its account (a margin call, an
        auto-deleveraging, a close found while blind) keeps the account's status at its alert's level until
        that is acknowledged."""
        self.events.add(event)
        acc = self._accounts.get(event.account)
        if (acc is not None and isinstance(event, RiskEvent) and event.kind in HELD_EVENTS
                and not any(supersedes(r, event.subject) for r in acc.liquidations.values())):
            acc.events[event.subject] = max_level(acc.events.get(event.subject), HELD_LEVEL) or HELD_LEVEL
        self._bump(*([event.account] if acc is not None else []))

    def note(self, account: str, text: str) -> None:
        """A note of the store's own about an account's feed (a warning at most)."""
        acc = self._accounts.get(account)
        self.report(FeedNote(account, text, self.clock.now(), exchange=acc.spec.exchange if acc else ""))

    # --- liquidations ----------------------------------------------------------------------------------
    def record_liquidation(self, liq: LiquidatedPosition, *, announce: bool = True) -> bool:
        """A liquidation the exchange reported (live, or found in its history): kept and listed until
        ``release_liquidation``; its logged event raises the alert (``announce`` False: restored from an
        earlier run, whose alert is already open). Later slices of the same leg add up."""
        acc = self._accounts.get(liq.account)
        if acc is None:
            return False
        acc.liq.record(liq)
        for subject in [s for s in acc.events if supersedes(liq, s)]:
            del acc.events[subject]
        if announce:
            self.report(RiskEvent.liquidation(liq, self.clock.now(), acc.spec.exchange))
        self._bump(liq.account)
        return True

    def release_liquidation(self, account: str, symbol: str, side: Side) -> bool:
        """Its alert was acknowledged: the LIQUIDATED row goes, and with it the critical status."""
        acc = self._accounts.get(account)
        if acc is None or not acc.liq.release((symbol, side)):
            return False
        self._bump(account)
        return True

    def set_account_warnings(self, account: str, warnings: tuple[str, ...]) -> None:
        """Standing warnings about the account's set-up, shown with it for as long as it runs; each new one
        is also a note in the event log (a warning alert)."""
        acc = self._accounts[account]
        for w in warnings:
            if w not in acc.warnings:
                self.note(account, w)
        acc.warnings = warnings
        self._bump(account)

    def hold_exchange_event(self, account: str, subject: str, level: AlertLevel) -> bool:
        """An exchange event's alert restored from the last run, not acknowledged: it holds the status again."""
        acc = self._accounts.get(account)
        if acc is None or subject.split(" ")[0] not in {k.value for k in HELD_EVENTS}:
            return False
        acc.events[subject] = level
        self._bump(account)
        return True

    def release_exchange_event(self, account: str, subject: str) -> bool:
        """Its alert was acknowledged: the account's status no longer holds at its level."""
        acc = self._accounts.get(account)
        if acc is None or acc.events.pop(subject, None) is None:
            return False
        self._bump(account)
        return True

    def liquidations(self, account: str) -> tuple[LiquidatedPosition, ...]:
        return tuple(self._accounts[account].liquidations.values())

    def set_previous_run(self, account: str, previous: PreviousRun) -> None:
        """What the last run saw; compared with this run's first full snapshot (at once if it came first)."""
        acc = self._accounts.get(account)
        if acc is None:
            return
        acc.liq.previous = previous
        if acc.synced:
            self._compare_with_last_run(acc)
        self._bump(account)

    def _compare_with_last_run(self, acc: _Account) -> None:
        acc.liq.compare_with_last_run({p.key for p in acc.book.positions()} | set(acc.unevaluated))

    def take_closed_since_last_run(self, account: str, to_exchange: Callable[[datetime], datetime] | None = None,
                                   ) -> list[ClosedSinceLastRun]:
        """The positions to look up in the exchange's history (each handed out once), each ``since`` on the
        exchange's clock. ``to_exchange``: the exchange's time at a local wall time (the adapter's measured
        clock), for the last run's "seen at"; None takes the local clock as right."""
        acc = self._accounts.get(account)
        if acc is None:
            return []
        taken = acc.liq.take(to_exchange or (lambda t: t), self.clock.monotonic())
        if taken:
            self._bump(account)
        return taken

    def settle_if_recorded(self, account: str, closed: ClosedSinceLastRun) -> bool:
        """``closed`` is explained by a liquidation already recorded (seen on the stream as this run started):
        its look-up is answered and True; else False, nothing changed."""
        acc = self._accounts.get(account)
        if acc is None or not any(r.key == closed.key for r in acc.liquidations.values()):
            return False
        self.closed_lookup_answered(account, closed, True)
        return True

    def closed_lookup_answered(self, account: str, closed: ClosedSinceLastRun, ok: bool) -> int:
        """The history look-up of ``closed`` answered (``ok``) or failed (asked again later, with backoff);
        the failures in a row. While one is not answered its account never reads "ok"."""
        acc = self._accounts.get(account)
        if acc is None:
            return 0
        failures = acc.liq.answered(closed, ok, self.clock.monotonic())
        self._bump(account)  # after the change: a listener reads the answered state
        return failures
