"""Funding figures the panes show that the snapshot does not carry ready-made."""

from __future__ import annotations

from datetime import datetime

from liqwatch.funding import next_settlement
from liqwatch.model import Exchange
from liqwatch.store import PositionView


def interval_hours(p: PositionView, exchange: Exchange) -> float:
    """The symbol's own interval as the snapshot carries it (the store knows each symbol's); before its first
    mark, the exchange's usual one: Hyperliquid settles hourly, the others every 8 hours for most symbols."""
    if p.funding_interval_hours is not None:
        return p.funding_interval_hours
    return 1.0 if exchange is Exchange.HYPERLIQUID else 8.0


def next_time(p: PositionView, exchange: Exchange, now: datetime) -> datetime:
    if p.next_funding_time is not None:
        return p.next_funding_time
    return next_settlement(now, interval_hours(p, exchange))


def seconds_to_next(p: PositionView, exchange: Exchange, now: datetime) -> float:
    return (next_time(p, exchange, now) - now).total_seconds()
