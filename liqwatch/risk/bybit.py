"""Bybit v5 linear: margins at the entry price, risk-limit tiers with an MM deduction.

A unified trading account (UTA) adds the estimated fee to close to both initial and maintenance margin;
a classic account does not. Isolated: LP = EP - side * (position margin - MM) / size, Bybit's published
formula; cross: the account's equity falls to the sum of the maintenance margins (MM held at entry).
"""

from __future__ import annotations

from liqwatch.model import Exchange, Position
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.solver import Leg


def fee_to_close(pos: Position, taker_fee_rate: float) -> float:
    """Size x bankruptcy price x taker rate, with the bankruptcy price from the leverage."""
    if pos.leverage is None or not pos.leverage > 0:
        raise ValueError(f"{pos.symbol}: leverage is needed for Bybit's fee to close (unified account)")
    return pos.size * pos.entry_price * (1.0 - pos.side.sign / pos.leverage) * taker_fee_rate


class BybitRisk(ExchangeRisk):
    exchange = Exchange.BYBIT
    margins_at_entry = True

    def _fee_to_close(self, pos: Position) -> float:
        # A taker fee rate (the account's or the symbol's) means a unified account; none, a classic one.
        rate = self.fee_rate(pos)
        return fee_to_close(pos, rate) if rate is not None else 0.0

    def maintenance_margin(self, pos: Position, mark: float) -> float:
        return super().maintenance_margin(pos, mark) + self._fee_to_close(pos)

    def initial_margin(self, pos: Position, mark: float) -> float | None:
        im = super().initial_margin(pos, mark)
        return None if im is None else im + self._fee_to_close(pos)

    def leg(self, pos: Position) -> Leg:
        # Evaluated at entry, the requirement does not move with the price.
        return Leg(pos.side.sign, pos.size, pos.entry_price, fixed_mm=self.maintenance_margin(pos, 0.0))

    def bankruptcy_reserve(self, pos: Position) -> float:
        return self._fee_to_close(pos)
