"""Hyperliquid perps: MM = notional / (2 * max leverage) on the mark, tiered with a deduction.

Liquidation when account value (cross) or isolated margin plus PnL falls to the maintenance margin; the
exact solve is the documented ``price - side * margin_available / size / (1 - l * side)``.
"""

from __future__ import annotations

from liqwatch.model import Exchange, Position
from liqwatch.risk.base import ExchangeRisk


def mmr_from_max_leverage(max_leverage: float) -> float:
    """Maintenance margin is half the initial margin at the asset's maximum leverage."""
    if not max_leverage > 0:
        raise ValueError("max_leverage must be > 0")
    return 1.0 / (2.0 * max_leverage)


def hourly_rate(rate_8h: float) -> float:
    """Hyperliquid quotes an 8-hour rate and pays one eighth of it every hour."""
    return rate_8h / 8.0


def fee_break_even(pos: Position, fee_rate: float) -> float:
    """The exit price at which the PnL pays the fee paid to open and the fee to close, both at ``fee_rate``
    on the notional: side x size x (exit - entry) = fee x size x (entry + exit)."""
    s = pos.side.sign
    return pos.entry_price * (1.0 + s * fee_rate) / (1.0 - s * fee_rate)


class HyperliquidRisk(ExchangeRisk):
    exchange = Exchange.HYPERLIQUID

    def break_even_price(self, pos: Position) -> tuple[float | None, str]:
        # Hyperliquid's entryPx is the average fill price; fees are charged apart and no break-even price is
        # reported: with the account's taker fee rate, the entry plus the fees to open and to close.
        rate = self.fee_rate(pos)
        if rate is None:
            return super().break_even_price(pos)
        return fee_break_even(pos, rate), "fees"
