"""Funding figures the panes show that the snapshot does not carry ready-made."""

from __future__ import annotations

from datetime import datetime

from liqwatch.funding import next_settlement
from liqwatch.model import Exchange, ExchangeId
from liqwatch.store import PositionView


def interval_hours(exchange: ExchangeId) -> float:
    # Hyperliquid settles hourly; the others every 8 hours for most symbols.
    return 1.0 if exchange == Exchange.HYPERLIQUID else 8.0


def next_time(p: PositionView, exchange: ExchangeId, now: datetime) -> datetime:
    return p.next_funding_time if p.next_funding_time is not None else next_settlement(now, interval_hours(exchange))


def seconds_to_next(p: PositionView, exchange: ExchangeId, now: datetime) -> float:
    return (next_time(p, exchange, now) - now).total_seconds()
