"""OKX v5 swaps: tier MMR on the whole notional, margin ratio = equity / (MM + liquidation fee).

OKX's ratio runs the other way (liquidation at <= 1); ``risk`` is its inverse. The liquidation fee is the
position value at the mark times the taker rate, so the taker rate is required.
"""

from __future__ import annotations

from liqwatch.model import Exchange, Position
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.solver import Leg


class OkxRisk(ExchangeRisk):
    exchange = Exchange.OKX
    ratio_is_equity_over_requirement = True

    def _fee(self, pos: Position) -> float:
        rate = self.fee_rate(pos)
        if rate is None:
            raise ValueError(f"{pos.symbol}: taker_fee_rate is required for OKX (fee term of its margin ratio)")
        return rate

    def liquidation_fee(self, pos: Position, mark: float) -> float:
        return pos.size * mark * self._fee(pos)

    def leg(self, pos: Position) -> Leg:
        return Leg(pos.side.sign, pos.size, pos.entry_price, tiers=pos.tiers, extra_rate=self._fee(pos))
