"""What a feed tells the engine beside marks, positions, balances and funding payments (``liqwatch.model``,
``FundingPaid``): typed events, applied by the store through ``MonitorStore.apply`` like the others.

Model layer: the feeds build them, the store applies them; neither needs the other to read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liqwatch.model import Exchange


@dataclass(frozen=True, slots=True)
class FundingIntervalKnown:
    """The exchange's funding interval of one symbol (hours between settlements)."""

    exchange: Exchange
    symbol: str
    hours: float


@dataclass(frozen=True, slots=True)
class NextFundingTime:
    """The next settlement of one symbol, on the exchange's clock."""

    exchange: Exchange
    symbol: str
    when: datetime


@dataclass(frozen=True, slots=True)
class AccountWarnings:
    """Standing warnings about the account's set-up (e.g. a key that may do more than read): the whole set."""

    account: str
    warnings: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class AccountDisabled:
    """The account is no longer watched (a refused key): its reason, shown with it."""

    account: str
    reason: str


@dataclass(frozen=True, slots=True)
class ModeNotModelledKnown:
    """The account runs under margin rules liqwatch does not implement; ``halted``: its feed stopped."""

    account: str
    reason: str
    halted: bool = False


@dataclass(frozen=True, slots=True)
class ClockOffset:
    """The exchange's clock minus ours (seconds), as just measured: what the clock-skew alert reads."""

    account: str
    offset_s: float


@dataclass(frozen=True, slots=True)
class StaleEventIgnored:
    """A frame older than what was already applied: it changes nothing and is only counted."""

    account: str


FeedEvent = (FundingIntervalKnown | NextFundingTime | AccountWarnings | AccountDisabled | ModeNotModelledKnown
             | ClockOffset | StaleEventIgnored)
