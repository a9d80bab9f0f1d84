"""Where an adapter's output goes: the one interface from the feeds into the engine. ``MonitorStore``
satisfies it; an adapter holds only this, so it can write, never read back what the store made of it.

Everything is a command: ``apply`` says whether the event was applied (only applied data counts as data),
and the few calls with an answer answer about the call itself (how many failures in a row, which closes
to look up), never about positions or channels; the adapter keeps what it applied itself
(``liqwatch.feeds.held``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from liqwatch.feed_channel import Channel
from liqwatch.feed_events import FeedEvent
from liqwatch.funding_ledger import FundingPaid
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition
from liqwatch.loop_lag import LoopLag
from liqwatch.model import AccountState, BalanceUpdate, ExchangeId, MarkTick, PositionUpdate
from liqwatch.rest_pause import RestPause
from liqwatch.risk_events import LoggedEvent

SinkEvent = MarkTick | PositionUpdate | BalanceUpdate | AccountState | FundingPaid | FeedEvent


class FeedSink(Protocol):
    #: The event loop's stall detector, when one runs: after a stall a silent socket is not to blame.
    loop_lag: LoopLag | None

    def apply(self, event: SinkEvent) -> bool:
        """Apply one event; False when it was ignored (unknown account, older than what is there)."""
        ...

    def add_channel(self, channel: Channel) -> None:
        """A channel of the adapter's, shown with its account."""
        ...

    def report(self, event: LoggedEvent) -> None:
        """A typed risk event (margin call, liquidation, ADL, a close found, the clock measured) or a note about
        the feed (liqwatch.risk_events): logged, and raised by the alerts by its kind."""
        ...

    def record_liquidation(self, liq: LiquidatedPosition, *, announce: bool = True) -> bool:
        """A liquidation the exchange reported (live, or found in its history)."""
        ...

    def set_rest_pause(self, account: str, pause: RestPause | None) -> None:
        """An IP ban or a maintenance of the account's REST endpoint, or its end (None)."""
        ...

    def forget_times_after(self, account: str, limit: datetime) -> int:
        """Drop every ordering time later than ``limit`` (the exchange's clock as just measured)."""
        ...

    def take_closed_since_last_run(self, account: str, to_exchange: Callable[[datetime], datetime] | None = None,
                                   ) -> list[ClosedSinceLastRun]:
        """The positions of the last run now gone, to look up in the exchange's history (each handed out once)."""
        ...

    def settle_if_recorded(self, account: str, closed: ClosedSinceLastRun) -> bool:
        """``closed`` is already explained by a liquidation recorded (on the stream): its look-up is
        answered, True; else False and nothing changes."""
        ...

    def closed_lookup_answered(self, account: str, closed: ClosedSinceLastRun, ok: bool) -> int:
        """The history look-up of ``closed`` answered or failed; the failures in a row."""
        ...

    def claim_volatility_seed(self, exchange: ExchangeId, symbol: str) -> bool:
        """True for the first caller only: accounts sharing a market fetch its candles once."""
        ...

    def release_volatility_seed(self, exchange: ExchangeId, symbol: str) -> None:
        """A fetch that failed: another account on the same market may try."""
        ...

    def seed_volatility(self, exchange: ExchangeId, symbol: str, minute_closes: Sequence[tuple[float, float]],
                        hour_closes: Sequence[tuple[float, float]]) -> None:
        """A market's σ seeded from the exchange's candles."""
        ...
