"""Picks the risk rules of an exchange, by its id: known for the exchanges modelled natively, None (or a
clear error) for any other id (a ccxt exchange has no margin rules of ours)."""

from __future__ import annotations

from liqwatch.model import Exchange, ExchangeId
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.binance import BinanceRisk
from liqwatch.risk.bybit import BybitRisk
from liqwatch.risk.hyperliquid import HyperliquidRisk
from liqwatch.risk.okx import OkxRisk

_RULES: dict[ExchangeId, type[ExchangeRisk]] = {
    Exchange.BINANCE: BinanceRisk,
    Exchange.BYBIT: BybitRisk,
    Exchange.OKX: OkxRisk,
    Exchange.HYPERLIQUID: HyperliquidRisk,
}


class UnknownExchange(ValueError):
    """No risk rules for this exchange id."""


def rules_for(exchange: ExchangeId) -> type[ExchangeRisk] | None:
    """The risk rules of a known exchange id (a plain string or an ``Exchange``), None for any other."""
    return _RULES.get(str(exchange))


def risk_rules(exchange: ExchangeId, taker_fee_rate: float | None = None) -> ExchangeRisk:
    rules = rules_for(exchange)
    if rules is None:
        known = ", ".join(sorted(_RULES))
        raise UnknownExchange(f"no risk rules for exchange {str(exchange)!r} (liqwatch models {known})")
    return rules(taker_fee_rate)
