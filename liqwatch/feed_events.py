"""What a feed tells the engine beside marks, positions, balances and funding payments (``liqwatch.model``,
``FundingPaid``): typed events, applied by the store through ``MonitorStore.apply`` like the others.

Model layer: the feeds build them, the store applies them; neither needs the other to read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liqwatch.model import ExchangeId


@dataclass(frozen=True, slots=True)
class MarketFact:
    """Something about one market (an exchange's symbol)."""

    exchange: ExchangeId
    symbol: str


@dataclass(frozen=True, slots=True)
class FundingIntervalKnown(MarketFact):
    """The exchange's funding interval of the symbol (hours between settlements)."""

    hours: float


@dataclass(frozen=True, slots=True)
class NextFundingTime(MarketFact):
    """The symbol's next settlement, on the exchange's clock."""

    when: datetime


@dataclass(frozen=True, slots=True)
class AccountFact:
    """Something about one account as a whole."""

    account: str


@dataclass(frozen=True, slots=True)
class AccountWarnings(AccountFact):
    """Standing warnings about the account's set-up (e.g. a key that may do more than read): the whole set."""

    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountDisabled(AccountFact):
    """The account is no longer watched (a refused key): its reason, shown with it."""

    reason: str


@dataclass(frozen=True, slots=True)
class ModeNotModelledKnown(AccountFact):
    """The account runs under margin rules liqwatch does not implement; ``halted``: its feed stopped."""

    reason: str
    halted: bool = False


@dataclass(frozen=True, slots=True)
class ClockOffset(AccountFact):
    """The exchange's clock minus ours (seconds), as just measured: what the clock-skew rule reads from the
    snapshot; a measurement, never a line of the event log."""

    offset_s: float


@dataclass(frozen=True, slots=True)
class StaleEventIgnored(AccountFact):
    """A frame older than what was already applied: it changes nothing and is only counted."""


FeedEvent = (FundingIntervalKnown | NextFundingTime | AccountWarnings | AccountDisabled | ModeNotModelledKnown
             | ClockOffset | StaleEventIgnored)
