"""Binance USDⓈ-M: margins at the mark, brackets with ``cum``, MM / margin balance, liquidation at 1.

The liquidation price is Binance's published formula (WB - TMM1 + UPNL1 + cum ... over the sizes and
rates of the BOTH/LONG/SHORT legs), solved with the bracket self-consistency check by ``risk.solver``.
"""

from __future__ import annotations

from liqwatch.model import Exchange
from liqwatch.risk.base import ExchangeRisk


class BinanceRisk(ExchangeRisk):
    exchange = Exchange.BINANCE
