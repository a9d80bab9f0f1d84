"""Funding: the cash flow of one settlement, projections, annualized rates, schedules, paid since open.

Sign convention everywhere: a cash flow is negative when the position pays and positive when it receives.
A positive rate makes longs pay shorts on all four exchanges. The notional is the mark price times the size,
except on Hyperliquid, which uses the oracle price (pass it as ``price``) and pays hourly.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from liqwatch.model import Exchange, ExchangeId, FundingPayment, Side

#: Each exchange's default funding interval, in hours: the one source of it. A symbol's own interval, where
#: the exchange says it (Binance fundingInfo lists the adjusted symbols, e.g. 4 h), is the store's and wins.
DEFAULT_INTERVAL_HOURS: dict[ExchangeId, float] = {
    Exchange.BINANCE: 8.0,  # 00/08/16 UTC; some symbols 4 h or 1 h (fundingInfo)
    Exchange.BYBIT: 8.0,  # per symbol (4 h and 1 h exist)
    Exchange.OKX: 8.0,  # 1 h, 2 h and 4 h exist
    Exchange.HYPERLIQUID: 1.0,  # hourly (the 8-hour rate / 8)
}
#: For an exchange id not modelled (a ccxt one): the most common interval.
COMMON_INTERVAL_HOURS = 8.0


#: The funding intervals taken from an exchange, in hours: Binance uses 1, 4 and 8 h (fundingInfo's
#: fundingIntervalHours), Bybit and OKX 1 to 8 h, Hyperliquid 1 h. One outside (0.0001 h would count thousands
#: of settlements a day, 1e9 h overflows the next settlement's time) is refused and the default kept.
MIN_INTERVAL_HOURS = 1.0
MAX_INTERVAL_HOURS = 24.0


def implausible_interval(hours: float) -> str | None:
    """Why a funding interval (hours) cannot be an exchange's, or None when it can."""
    if not math.isfinite(hours) or not MIN_INTERVAL_HOURS <= hours <= MAX_INTERVAL_HOURS:
        return (f"funding interval {hours} h is outside {MIN_INTERVAL_HOURS:g}-{MAX_INTERVAL_HOURS:g} h, "
                "not one an exchange uses")
    return None


def default_interval_hours(exchange: ExchangeId) -> float:
    """The exchange's default funding interval (hours), for a symbol whose own is not known."""
    return DEFAULT_INTERVAL_HOURS.get(str(exchange), COMMON_INTERVAL_HOURS)


def funding_cashflow(side: Side, size: float, price: float, rate: float) -> float:
    """What one settlement pays (negative) or receives (positive) at ``rate`` per interval."""
    return -side.sign * abs(size) * price * rate


def annualized_rate(rate: float, interval_hours: float) -> float:
    """A per-interval rate as a yearly fraction (simple, not compounded): rate x settlements per year."""
    if not interval_hours > 0:
        raise ValueError("interval_hours must be > 0")
    return rate * (24.0 / interval_hours) * 365.0


def daily_cost(side: Side, size: float, price: float, rate: float, interval_hours: float) -> float:
    """The cash flow of one day at the current rate (negative = cost)."""
    return funding_cashflow(side, size, price, rate) * (24.0 / interval_hours)


def next_settlement(now: datetime, interval_hours: float) -> datetime:
    """The next settlement on the exchanges' schedule: multiples of the interval from 00:00 UTC.

    Use the exchange's own next funding time when it sends one; this is for when it does not.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if not interval_hours > 0:
        raise ValueError("interval_hours must be > 0")
    now = now.astimezone(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    step = interval_hours * 3600.0
    elapsed = (now - midnight).total_seconds()
    k = math.floor(elapsed / step) + 1
    return midnight + timedelta(seconds=k * step)


def seconds_to(now: datetime, when: datetime) -> float:
    return (when - now).total_seconds()


def payment_key(p: FundingPayment) -> object:
    """What identifies one settlement: the exchange's id, else the symbol and the settlement time."""
    return p.payment_id if p.payment_id is not None else (p.symbol, p.time)
