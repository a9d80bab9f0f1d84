"""Accounts and their ledgers: positions, wallets, funding cash flows, margin and the exchanges' liquidations.

Binance and Hyperliquid keep money differently (a cross wallet plus isolated wallets; a USDC balance plus
isolated margins), so each has its own account type; both answer the same questions: equity,
maintenance margin, the liquidation price of a position (by the bisection in ``liquidation``), and
whether the exchange would liquidate now.

The records live in ``account_records``, the accounts in ``binance_account`` and ``hyperliquid_account``;
this module gathers them under the name the rest of the emulator imports them by.
"""

from __future__ import annotations

from liqwatch.emulator.account_records import (
    BinancePosition,
    ClosedLeg,
    FundingApplied,
    IncomeRecord,
    Liquidation,
    MarginCall,
    PositionSide,
)
from liqwatch.emulator.binance_account import MARGIN_CALL_RATIO, MARGIN_CALL_REARM, BinanceAccount
from liqwatch.emulator.hyperliquid_account import HL_BACKSTOP_FRACTION, HlFunding, HlPosition, HyperliquidAccount

__all__ = [
    "HL_BACKSTOP_FRACTION",
    "MARGIN_CALL_RATIO",
    "MARGIN_CALL_REARM",
    "BinanceAccount",
    "BinancePosition",
    "ClosedLeg",
    "FundingApplied",
    "HlFunding",
    "HlPosition",
    "HyperliquidAccount",
    "IncomeRecord",
    "Liquidation",
    "MarginCall",
    "PositionSide",
]
