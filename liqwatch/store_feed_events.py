"""How the store applies the feeds' typed events (liqwatch.feed_events): each is the store call it stands for."""

from __future__ import annotations

from typing import TYPE_CHECKING

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

if TYPE_CHECKING:
    from liqwatch.store import MonitorStore


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
