"""Hyperliquid perps: MM = notional / (2 * max leverage) on the mark, tiered with a deduction.

Liquidation when account value (cross) or isolated margin plus PnL falls to the maintenance margin; the
exact solve is the documented ``price - side * margin_available / size / (1 - l * side)``.
"""

from __future__ import annotations

from liqwatch.model import Exchange
from liqwatch.risk.base import ExchangeRisk


def mmr_from_max_leverage(max_leverage: float) -> float:
    """Maintenance margin is half the initial margin at the asset's maximum leverage."""
    if not max_leverage > 0:
        raise ValueError("max_leverage must be > 0")
    return 1.0 / (2.0 * max_leverage)


def hourly_rate(rate_8h: float) -> float:
    """Hyperliquid quotes an 8-hour rate and pays one eighth of it every hour."""
    return rate_8h / 8.0


class HyperliquidRisk(ExchangeRisk):
    exchange = Exchange.HYPERLIQUID
