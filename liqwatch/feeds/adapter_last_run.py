"""What became of the positions the last run saw that are gone now: the exchange's history is asked, and a
liquidation is recorded as one (and alerted), a plain close noted, an unreadable history asked again with
the account held not "ok" meanwhile. A mixin of ``FeedAdapter``."""

from __future__ import annotations

from dataclasses import replace

from liqwatch.clock import Clock
from liqwatch.feeds.account_config import FeedAccount
from liqwatch.feeds.frame_time import ServerClock
from liqwatch.feeds.rest import RestError
from liqwatch.feeds.wire import WireError
from liqwatch.liquidation_book import FAILURES_BEFORE_UNKNOWN
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition
from liqwatch.risk_events import FeedNote, RiskEvent, RiskEventKind
from liqwatch.store import MonitorStore


class LastRunLookup:
    account: FeedAccount
    store: MonitorStore
    clock: Clock
    server_clock: ServerClock
    implausible_times: int

    async def liquidation_history(self, closed: ClosedSinceLastRun) -> LiquidatedPosition | None:
        """The exchange's own record of ``closed`` being liquidated since it was last seen, if it was."""
        return None

    async def _explain_closed(self, closed: list[ClosedSinceLastRun]) -> None:
        """Positions the last run saw that are gone: a liquidation is reported as one (and alerted)."""
        name = self.account.name
        for c in closed:
            if any(r.key == c.key for r in self.store.liquidations(name)):
                self.store.closed_lookup_answered(name, c, True)
                continue  # already seen on the stream (a liquidation just as this run started)
            what = f"{c.symbol} {c.side.value} closed {c.when}"
            try:
                liq = await self.liquidation_history(c)
            except (RestError, WireError) as exc:
                # Asked again with backoff; meanwhile the account is not "ok" (it may have been liquidated).
                failures = self.store.closed_lookup_answered(name, c, False)
                if failures == 1:
                    self.store.report(FeedNote(name, f"{what}; the exchange's history could not be read: {exc} (asking "
                                               "again)", self.clock.now(), exchange=self.account.exchange,
                                               symbol=c.symbol))
                elif failures == FAILURES_BEFORE_UNKNOWN:
                    self.store.report(self._about(c, RiskEventKind.LIQUIDATION_UNKNOWN, f"{what}; liquidation status "
                                                  f"unknown: the exchange's history could not be read {failures} "
                                                  f"times ({exc}); still asking"))
                continue
            self.store.closed_lookup_answered(name, c, True)
            why = self.server_clock.implausible(liq.time, self.clock.now(), record=True) if liq is not None else None
            if why is not None:  # a history record's time is judged like every exchange time
                self.implausible_times += 1
                self.store.report(self._about(c, RiskEventKind.LIQUIDATION_UNKNOWN, f"{what}; the exchange's history "
                                              f"gave an implausible time: {why}"))
            elif liq is not None:
                self.store.record_liquidation(replace(liq, source=c.source))
            else:
                self.store.report(self._about(c, RiskEventKind.CLOSED, f"{what} (no liquidation in the exchange's "
                                              "history)"))

    def _about(self, closed: ClosedSinceLastRun, kind: RiskEventKind, text: str) -> RiskEvent:
        """The event of ``kind`` about the position gone, received now."""
        return RiskEvent(kind, self.account.name, text, self.clock.now(), exchange=self.account.exchange,
                         symbol=closed.symbol, side=closed.side, size=closed.size)
