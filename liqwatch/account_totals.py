"""The totals row across accounts: equity, uPnL, funding today and notional, summed per settle currency.

Accounts are summed only within one settle currency: a Binance USDⓈ-M account's figures are in USDT, a
Hyperliquid one's in USDC, and adding the two would silently treat them as one currency (they trade apart,
and a depeg is exactly when it matters). So there is one totals row per currency, never one across them. An
account whose positions settle in another currency than its exchange's wallet gets a currency of its own
("USDT+USDC"), summed with no other. An account without figures (waiting, disabled, mode not modelled) is
counted as missing, so a total that leaves an account out says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from liqwatch.model import Exchange, ExchangeId
from liqwatch.read_model import AccountView, MonitorSnapshot
from liqwatch.symbols import settle_currency

#: Where each exchange keeps the wallet liqwatch reads: Binance USDⓈ-M's USDT assets, Hyperliquid's USDC, the
#: USDT-margined linear contracts of Bybit and OKX.
WALLET_CURRENCY: dict[ExchangeId, str] = {
    Exchange.BINANCE: "USDT", Exchange.HYPERLIQUID: "USDC", Exchange.BYBIT: "USDT", Exchange.OKX: "USDT",
}


def account_currency(a: AccountView) -> str:
    """The currency the account's figures are in: its exchange's wallet currency, joined by any other its
    positions settle in; its positions' own where the exchange is not one liqwatch models natively."""
    held = sorted({settle_currency(p.risk.symbol) for p in a.positions})
    base = WALLET_CURRENCY.get(a.exchange)
    if base is None:
        return "+".join(held) if held else f"{a.exchange}?"
    others = [c for c in held if c != base]
    return "+".join([base, *others])


@dataclass(frozen=True, slots=True)
class Totals:
    currency: str
    accounts: tuple[str, ...]  # summed: those with figures
    missing: tuple[str, ...]  # in this currency but without figures: left out of the sums
    equity: float
    unrealized_pnl: float
    funding_today: float
    notional: float
    fresh: bool  # every summed account's figures are fresh (their inputs too: ``figures_fresh``), none missing

    @property
    def effective_leverage(self) -> float | None:
        """Total notional over total equity, as an account's (``AccountRisk.effective_leverage``): the
        leverage of the accounts summed, not an average of theirs; None without equity."""
        return self.notional / self.equity if self.equity > 0 else None


def figures_fresh(a: AccountView) -> bool:
    """Whether the account's figures are fresh down to their inputs: the account fresh (synced, every channel
    LIVE, every position evaluated) and every position's mark fresh too, since its notional, equity and free
    margin are computed on those marks (``PositionView.fresh``)."""
    return a.fresh and all(p.fresh for p in a.positions)


def totals(snap: MonitorSnapshot) -> tuple[Totals, ...]:
    """One ``Totals`` per settle currency, in the order the currencies first appear in the snapshot."""
    groups: dict[str, list[AccountView]] = {}
    for a in snap.accounts:
        groups.setdefault(account_currency(a), []).append(a)
    out = []
    for currency, views in groups.items():
        have = [a for a in views if a.risk is not None]
        out.append(Totals(
            currency=currency,
            accounts=tuple(a.name for a in have),
            missing=tuple(a.name for a in views if a.risk is None),
            equity=math.fsum(a.risk.margin_balance for a in have if a.risk is not None),
            unrealized_pnl=math.fsum(p.risk.unrealized_pnl for a in have for p in a.positions),
            funding_today=math.fsum(a.funding_today for a in have),
            notional=math.fsum(a.risk.notional for a in have if a.risk is not None),
            fresh=len(have) == len(views) and all(figures_fresh(a) for a in have),
        ))
    return tuple(out)
