"""Figures of a generic (ccxt) account: the exchange's own liquidation price and margins, at live marks.

liqwatch has no margin rules for such an exchange, so nothing here solves a liquidation price or computes a
margin requirement: the liquidation price is the one the exchange reported, and what is derived from the mark
is only what every linear contract shares (notional = size x mark, PnL = side x size x (mark - entry)), the
distance to the exchange's price, and its distance in σ. A figure the exchange gives none of stays None (the
screens say "n/a (exchange gives none)"); there is no margin ratio nor risk of ours (``figures_from``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from liqwatch.model import MarginMode, ReportedBalance, ReportedPosition
from liqwatch.risk.distance import distance_pct, distance_sigma
from liqwatch.risk.evaluate import AccountRisk, PositionRisk

EXCHANGE = "exchange"


def reported_position_risk(pos: ReportedPosition, mark: float | None, sigma_hour: float | None = None
                           ) -> PositionRisk:
    """``pos`` at ``mark`` (the live mark; None: the exchange's own at its snapshot)."""
    live_mark = mark is not None and mark > 0
    at = mark if live_mark else pos.mark_price
    price = at if at is not None else (pos.entry_price or 0.0)
    # PnL and notional follow a live mark on a linear contract; without one they are the exchange's own, at its
    # snapshot's mark (its figures, in its own rounding and currency, rather than ours recomputed from them).
    live = live_mark and pos.linear and pos.entry_price is not None
    if not live_mark and pos.unrealized_pnl is None and pos.linear and at is not None and pos.entry_price:
        live = True  # the exchange gave no PnL: the linear one at its own mark
    if live:
        notional = pos.size * price
        pnl: float | None = pos.side.sign * pos.size * (price - (pos.entry_price or 0.0))
    else:  # an inverse contract, or no mark: the exchange's figures as of its snapshot
        notional = abs(pos.notional) if pos.notional is not None else pos.size * price if pos.linear else 0.0
        pnl = pos.unrealized_pnl
    liq = pos.liquidation_price
    dist = distance_pct(pos.side, price, liq) if price > 0 else None
    return PositionRisk(
        symbol=pos.symbol,
        side=pos.side,
        # Unknown: shown as cross, where a liquidation takes the account's other positions along (the cautious
        # reading); no figure depends on it here.
        margin_mode=pos.margin_mode or MarginMode.CROSS,
        size=pos.size,
        entry_price=pos.entry_price or 0.0,
        mark_price=price,
        notional=notional,
        unrealized_pnl=pnl if pnl is not None else 0.0,
        initial_margin=None,
        maintenance_margin=pos.maintenance_margin,
        liquidation_price=liq,
        bankruptcy_price=None,
        distance_to_liquidation_pct=dist,
        distance_sigma=distance_sigma(pos.side, price, liq, sigma_hour) if price > 0 else None,
        margin_ratio=None,
        risk=None,
        # Past the exchange's own price: it liquidates (or already has; its next answer says which).
        liquidated=dist is not None and dist <= 0,
        leverage=pos.leverage,
        exchange_liquidation_price=liq,
        roe=None,  # each exchange defines its own ROE: not guessed
        liquidation_distance=None if dist is None else dist / 100.0 * price,
        figures_from=EXCHANGE,
    )


def reported_account_risk(balance: ReportedBalance | None, positions: Sequence[ReportedPosition],
                          marks: Mapping[str, float], sigmas: Mapping[str, float | None] | None = None
                          ) -> AccountRisk:
    """The account's figures: its equity and margins as the exchange reported them, its positions at
    ``marks`` (by symbol; a symbol without one at the exchange's own mark)."""
    out = tuple(reported_position_risk(p, marks.get(p.symbol), (sigmas or {}).get(p.symbol)) for p in positions)
    equity = balance.equity if balance is not None else math.nan
    wallet = balance.wallet_balance if balance is not None and balance.wallet_balance is not None else equity
    return AccountRisk(
        wallet_balance=wallet,
        margin_balance=equity,
        maintenance_margin=balance.maintenance_margin if balance is not None else None,
        margin_ratio=None,
        risk=None,
        liquidated=False,
        positions=out,
        cross_wallet_balance=wallet,
        cross_margin_balance=equity,
        notional=math.fsum(r.notional for r in out),
        available_balance=balance.available if balance is not None else None,
        exchange_margin_balance=balance.equity if balance is not None else None,
        exchange_available_balance=balance.available if balance is not None else None,
        figures_from=EXCHANGE,
    )
