"""Picks the risk rules of an exchange."""

from __future__ import annotations

from liqwatch.model import Exchange
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.binance import BinanceRisk
from liqwatch.risk.bybit import BybitRisk
from liqwatch.risk.hyperliquid import HyperliquidRisk
from liqwatch.risk.okx import OkxRisk

_RULES: dict[Exchange, type[ExchangeRisk]] = {
    Exchange.BINANCE: BinanceRisk,
    Exchange.BYBIT: BybitRisk,
    Exchange.OKX: OkxRisk,
    Exchange.HYPERLIQUID: HyperliquidRisk,
}


def risk_rules(exchange: Exchange, taker_fee_rate: float | None = None) -> ExchangeRisk:
    return _RULES[exchange](taker_fee_rate)
