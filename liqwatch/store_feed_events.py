"""How the store applies the feeds' typed events (liqwatch.feed_events): each is the store call it stands for."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from liqwatch.feed_events import (
    AccountDisabled,
    AccountWarnings,
    ClockOffset,
    FeedEvent,
    FundingIntervalKnown,
    ModeNotModelledKnown,
    NextFundingTime,
    StaleEventIgnored,
)
from liqwatch.model import ExchangeId


class MonitorStore(Protocol):
    """The calls of ``liqwatch.store.MonitorStore`` the feed events stand for (named here so that this module
    does not import the store that imports it)."""

    ignored_stale_events: int

    def set_funding_interval(self, exchange: ExchangeId, symbol: str, hours: float) -> None: ...

    def set_next_funding_time(self, exchange: ExchangeId, symbol: str, when: datetime) -> None: ...

    def set_account_warnings(self, account: str, warnings: tuple[str, ...]) -> None: ...

    def disable_account(self, name: str, reason: str) -> None: ...

    def set_mode_not_modelled(self, name: str, reason: str, *, halted: bool = False) -> None: ...

    def set_clock_offset(self, account: str, offset_s: float) -> None: ...


def apply_feed_event(store: MonitorStore, event: FeedEvent) -> bool:
    """The feed's typed events (liqwatch.feed_events), each the call it stands for."""
    match event:
        case FundingIntervalKnown(exchange, symbol, hours):
            store.set_funding_interval(exchange, symbol, hours)
        case NextFundingTime(exchange, symbol, when):
            store.set_next_funding_time(exchange, symbol, when)
        case AccountWarnings(account, warnings):
            store.set_account_warnings(account, warnings)
        case AccountDisabled(account, reason):
            store.disable_account(account, reason)
        case ModeNotModelledKnown(account, reason, halted):
            store.set_mode_not_modelled(account, reason, halted=halted)
        case ClockOffset(account, offset_s):
            store.set_clock_offset(account, offset_s)
        case StaleEventIgnored():
            store.ignored_stale_events += 1
            return False
    return True
