"""The one interface every exchange's risk rules implement.

The defaults are the common case (margins on the mark price, "margin ratio" = requirement / equity with
liquidation at 1); each exchange module overrides what its exchange does differently.
"""

from __future__ import annotations

import math
from typing import ClassVar

from liqwatch.model import Exchange, Position
from liqwatch.risk.solver import Leg


class ExchangeRisk:
    exchange: ClassVar[Exchange]
    #: Bybit evaluates a position's margins at its entry price, the others at the mark.
    margins_at_entry: ClassVar[bool] = False
    #: OKX publishes equity / requirement (liquidation at <= 1) instead of requirement / equity.
    ratio_is_equity_over_requirement: ClassVar[bool] = False

    def __init__(self, taker_fee_rate: float | None = None) -> None:
        if taker_fee_rate is not None and not (0 <= taker_fee_rate < 0.1):
            raise ValueError("taker_fee_rate must be in [0, 0.1)")
        self.taker_fee_rate = taker_fee_rate

    # --- per position -------------------------------------------------------------------------------
    def fee_rate(self, pos: Position) -> float | None:
        return pos.taker_fee_rate if pos.taker_fee_rate is not None else self.taker_fee_rate

    def margin_price(self, pos: Position, mark: float) -> float:
        return pos.entry_price if self.margins_at_entry else mark

    @staticmethod
    def notional(pos: Position, mark: float) -> float:
        return pos.size * mark

    @staticmethod
    def unrealized_pnl(pos: Position, mark: float) -> float:
        return pos.side.sign * pos.size * (mark - pos.entry_price)

    def maintenance_margin(self, pos: Position, mark: float) -> float:
        return pos.tiers.maintenance_margin(pos.size * self.margin_price(pos, mark))

    def initial_margin(self, pos: Position, mark: float) -> float | None:
        if pos.leverage is None:
            return None
        return pos.size * self.margin_price(pos, mark) / pos.leverage

    def liquidation_fee(self, pos: Position, mark: float) -> float:
        """A fee the exchange adds to the requirement in its ratio (OKX); 0 elsewhere."""
        return 0.0

    def requirement(self, pos: Position, mark: float) -> float:
        """What equity must stay above: maintenance margin plus any fee term."""
        return self.maintenance_margin(pos, mark) + self.liquidation_fee(pos, mark)

    def leg(self, pos: Position) -> Leg:
        """How this position's requirement moves with the price, for the liquidation solve."""
        return Leg(pos.side.sign, pos.size, pos.entry_price, tiers=pos.tiers)

    def break_even_price(self, pos: Position) -> tuple[float | None, str]:
        """The position's break-even price and where it comes from ("exchange", "fees" or "").

        Binance reports its own (positionRisk ``breakEvenPrice``: total cost less total gained over the size,
        its FAQ "How to Visualize the Breakeven Price"), from the position's fill history, which we do not
        have: we take it and compute none. Bybit (``breakEvenPrice``) and OKX (``bePx``) report theirs too.
        Hyperliquid reports none: ``HyperliquidRisk`` computes it from the taker fee rate where one is set."""
        if pos.exchange_break_even_price is not None:
            return pos.exchange_break_even_price, "exchange"
        return None, ""

    def bankruptcy_reserve(self, pos: Position) -> float:
        """Margin held for costs that are not loss-absorbing (Bybit's fee to close in a unified account)."""
        return 0.0

    # --- per account or isolated position -------------------------------------------------------------
    def margin_ratio(self, equity: float, requirement: float) -> float | None:
        """The ratio in the exchange's own convention; None where it is undefined."""
        if self.ratio_is_equity_over_requirement:
            return equity / requirement if requirement > 0 else None
        return requirement / equity if equity > 0 else None

    @staticmethod
    def risk(equity: float, requirement: float) -> float | None:
        """requirement / equity, 1.0 = liquidation on every exchange; None once equity <= 0. NaN when either
        figure is not finite (an overflow of absurd inputs): not evaluable, never read as liquidation (None)
        nor as safety, and ``liqwatch.danger`` reads it stale."""
        if not (math.isfinite(equity) and math.isfinite(requirement)):
            return math.nan
        return requirement / equity if equity > 0 else None
