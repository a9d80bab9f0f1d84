"""Funding figures the panes show that the snapshot does not carry ready-made."""

from __future__ import annotations

from datetime import datetime

from liqwatch.funding import default_interval_hours, next_settlement
from liqwatch.model import ExchangeId
from liqwatch.store import PositionView


def interval_hours(p: PositionView, exchange: ExchangeId) -> float:
    """The position's symbol's interval as the snapshot carries it, else its exchange's default."""
    return p.funding_interval_hours if p.funding_interval_hours is not None else default_interval_hours(exchange)


def next_time(p: PositionView, exchange: ExchangeId, now: datetime) -> datetime:
    """The exchange's own next settlement where it says it, else the next boundary of the symbol's interval."""
    if p.next_funding_time is not None:
        return p.next_funding_time
    return next_settlement(now, interval_hours(p, exchange))


def seconds_to_next(p: PositionView, exchange: ExchangeId, now: datetime) -> float:
    return (next_time(p, exchange, now) - now).total_seconds()
