"""Whole-account risk figures: per-position margins, account ratios, liquidation and bankruptcy prices.

``PositionFigures`` are the mark-dependent numbers of one position; ``CrossTotals`` their sums over the
account's cross positions. The incremental account book keeps both up to date per tick and calls
``assemble`` only when a snapshot is taken; ``evaluate_account`` recomputes everything from scratch (the
``calc`` command, the what-if screen, and the benchmark's baseline).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from liqwatch.model import MarginMode, Position, Side
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.distance import distance_pct, distance_sigma
from liqwatch.risk.solver import Leg, solve_price


@dataclass(frozen=True, slots=True)
class PositionFigures:
    mark: float
    unrealized_pnl: float
    maintenance_margin: float
    requirement: float  # maintenance margin plus the exchange's fee term (OKX)


@dataclass(slots=True)
class CrossTotals:
    unrealized_pnl: float = 0.0
    maintenance_margin: float = 0.0
    requirement: float = 0.0

    def add(self, f: PositionFigures, sign: int = 1) -> None:
        self.unrealized_pnl += sign * f.unrealized_pnl
        self.maintenance_margin += sign * f.maintenance_margin
        self.requirement += sign * f.requirement

    @classmethod
    def of(cls, figures: Iterable[PositionFigures]) -> CrossTotals:
        fs = list(figures)
        return cls(
            math.fsum(f.unrealized_pnl for f in fs),
            math.fsum(f.maintenance_margin for f in fs),
            math.fsum(f.requirement for f in fs),
        )


@dataclass(frozen=True, slots=True)
class PositionRisk:
    symbol: str
    side: Side
    margin_mode: MarginMode
    size: float
    entry_price: float
    mark_price: float
    notional: float
    unrealized_pnl: float
    initial_margin: float | None
    maintenance_margin: float | None  # None: the exchange gives none (a generic account's, ``figures_from``)
    liquidation_price: float | None
    bankruptcy_price: float | None
    distance_to_liquidation_pct: float | None
    distance_sigma: float | None
    margin_ratio: float | None
    risk: float | None
    liquidated: bool
    leverage: float | None
    exchange_liquidation_price: float | None
    #: Unrealized PnL / initial margin at entry (entry notional / leverage): the figure Binance's and Bybit's
    #: position tabs show and Hyperliquid's returnOnEquity; a fraction, None without a leverage.
    roe: float | None = None
    #: The exchange's own ROE as of its last snapshot, where it reports one (Hyperliquid, OKX).
    exchange_roe: float | None = None
    #: "pair" when the liquidation price is the one both cross legs of a hedge-mode symbol share.
    liquidation_scope: str = "position"
    #: The break-even price and where it comes from: "exchange" (its own figure), "fees" (computed from the
    #: taker fee rate, where the exchange reports none) or "" (none known). See ``ExchangeRisk.break_even_price``.
    break_even_price: float | None = None
    break_even_source: str = ""
    #: The distance to liquidation in the quote currency: the price move from the mark to the liquidation
    #: price, signed as ``distance_to_liquidation_pct`` (positive while safe).
    liquidation_distance: float | None = None
    #: Whose figures these are: "liqwatch" (computed under the exchange's rules) or "exchange" (a generic
    #: account: the liquidation price and margins are the exchange's own, no margin ratio or risk of ours).
    figures_from: str = "liqwatch"


@dataclass(frozen=True, slots=True)
class AccountRisk:
    """An account's figures. ``wallet_balance`` and ``margin_balance`` are the exchange's totals (Binance
    totalWalletBalance and totalMarginBalance: isolated wallets and every position's PnL included); the cross
    figures are what cross risk is measured on (Binance cross margin ratio, Hyperliquid cross account value).
    ``exchange_margin_balance`` is the exchange's own reported equity at its last snapshot, and
    ``exchange_margin_balance_gap`` ours minus it, both at that snapshot's marks."""

    wallet_balance: float
    margin_balance: float
    maintenance_margin: float | None  # None: the exchange gives none (a generic account's)
    margin_ratio: float | None
    risk: float | None
    liquidated: bool
    positions: tuple[PositionRisk, ...]
    cross_wallet_balance: float = 0.0
    cross_margin_balance: float = 0.0
    exchange_margin_balance: float | None = None
    exchange_margin_balance_gap: float | None = None
    #: Every position's notional at its mark (cross and isolated).
    notional: float = 0.0
    #: Free margin the exchange's way: the cross equity less the cross positions' initial margin, floored at
    #: 0 (Binance availableBalance without open orders, Hyperliquid withdrawable, Bybit totalAvailableBalance,
    #: OKX availEq); None when a cross position has no leverage to take its initial margin from.
    available_balance: float | None = None
    #: The exchange's own free margin and withdrawable amount at its last snapshot, where it reports them
    #: (``AccountState``), and ours minus the one ours is compared with, at that snapshot's marks.
    exchange_available_balance: float | None = None
    exchange_withdrawable: float | None = None
    exchange_available_gap: float | None = None
    #: "liqwatch" or "exchange" (a generic account's figures, as the positions' ``figures_from``).
    figures_from: str = "liqwatch"

    @property
    def effective_leverage(self) -> float | None:
        """Notional over equity (margin balance): the account's leverage as it stands; None without equity."""
        return self.notional / self.margin_balance if self.margin_balance > 0 else None

    @property
    def has_cross(self) -> bool:
        """Whether the account has an account-level (cross) margin ratio and risk: only with a cross position."""
        return any(p.margin_mode is MarginMode.CROSS for p in self.positions)

    @property
    def equity_gone(self) -> bool:
        """Cross positions open and no defined risk: the cross equity is <= 0, as bad as it gets. (No cross
        position: ``risk`` is None because there is no account-level ratio, which says nothing of danger.) A
        generic account has no risk of ours at all: its equity is gone only when the exchange's is <= 0."""
        if self.figures_from == "exchange":
            return bool(self.positions) and self.margin_balance <= 0
        return self.has_cross and self.risk is None


def figures(rules: ExchangeRisk, pos: Position, mark: float) -> PositionFigures:
    return PositionFigures(
        mark,
        rules.unrealized_pnl(pos, mark),
        rules.maintenance_margin(pos, mark),
        rules.requirement(pos, mark),
    )


def mark_of(pos: Position) -> float:
    return pos.mark_price if pos.mark_price is not None else pos.entry_price


def roe_at_entry(pos: Position, unrealized_pnl: float) -> float | None:
    """uPnL over the initial margin at entry (entry notional / leverage), as a fraction."""
    if pos.leverage is None or not pos.leverage > 0:
        return None
    return unrealized_pnl / (pos.size * pos.entry_price / pos.leverage)


def total_margin_balance(rules: ExchangeRisk, cross_wallet: float, positions: Iterable[Position]) -> float:
    """The account's equity the exchange's way, at each position's own mark: cross wallet plus the isolated
    wallets (= total wallet) plus every position's unrealized PnL (Binance totalMarginBalance, Hyperliquid
    marginSummary.accountValue, Bybit totalEquity, OKX totalEq)."""
    total = [cross_wallet]
    for p in positions:
        if p.margin_mode is MarginMode.ISOLATED and p.isolated_margin is not None:
            total.append(p.isolated_margin)
        total.append(rules.unrealized_pnl(p, mark_of(p)))
    return math.fsum(total)


def free_margin(cross_equity: float, cross_initial_margins: Iterable[float | None]) -> float | None:
    """The cross equity less the cross initial margin, floored at 0; None if an initial margin is unknown."""
    ims = list(cross_initial_margins)
    if any(im is None for im in ims):
        return None
    return max(0.0, cross_equity - math.fsum(im for im in ims if im is not None))


def snapshot_free_margin(rules: ExchangeRisk, cross_wallet: float, positions: Iterable[Position]) -> float | None:
    """``free_margin`` at each position's own mark (a snapshot's), to compare with the exchange's figure."""
    cross = [p for p in positions if p.margin_mode is MarginMode.CROSS]
    equity = math.fsum([cross_wallet, *(rules.unrealized_pnl(p, mark_of(p)) for p in cross)])
    return free_margin(equity, (rules.initial_margin(p, mark_of(p)) for p in cross))


def _toward(liq: float | None, mark: float, safe: bool) -> Side:
    """The side whose distance formula measures the move from the mark to the liquidation price.

    For one position this is its own side. The two legs of a hedge-mode symbol share the pair's price, which
    lies on the side where the pair loses (below the mark for a net long pair, above for a net short) whatever
    the leg's side: both legs' distance is measured in that direction, the one in which the account loses,
    positive while the account is safe and negative once past the price.
    """
    if liq is None:
        return Side.LONG
    return Side.LONG if (liq < mark) == safe else Side.SHORT


def _is_liquidated(equity: float, risk: float | None) -> bool:
    return equity <= 0 or (risk is not None and risk >= 1.0)


def _plain_legs(group: Sequence[Position]) -> list[Leg]:
    return [Leg(p.side.sign, p.size, p.entry_price) for p in group]


def assemble(
    rules: ExchangeRisk,
    wallet_balance: float,
    positions: Sequence[Position],
    figs: Mapping[tuple[str, Side], PositionFigures],
    totals: CrossTotals,
    sigma_by_symbol: Mapping[str, float | None] | None = None,
) -> AccountRisk:
    """Account and per-position risk from precomputed figures; O(positions x tiers).

    ``wallet_balance`` is the cross wallet: cross risk is measured on it plus the cross PnL, the figure each
    exchange's own cross margin ratio uses."""
    equity = wallet_balance + totals.unrealized_pnl
    isolated_wallets = math.fsum(
        p.isolated_margin for p in positions
        if p.margin_mode is MarginMode.ISOLATED and p.isolated_margin is not None
    )
    isolated_pnl = math.fsum(figs[p.key].unrealized_pnl for p in positions if p.margin_mode is MarginMode.ISOLATED)
    has_cross = any(p.margin_mode is MarginMode.CROSS for p in positions)
    # Without a cross position there is no account-level ratio (each isolated position has its own): None,
    # not 0 and not "equity gone" (``AccountRisk.equity_gone`` says that one).
    acc_ratio = rules.margin_ratio(equity, totals.requirement) if has_cross else None
    acc_risk = rules.risk(equity, totals.requirement) if has_cross else None
    acc_liquidated = has_cross and _is_liquidated(equity, acc_risk)

    groups: dict[str, list[Position]] = {}
    for p in positions:
        if p.margin_mode is MarginMode.CROSS:
            groups.setdefault(p.symbol, []).append(p)
    cross_prices: dict[str, tuple[float | None, float | None]] = {}
    for symbol, group in groups.items():
        g = CrossTotals.of(figs[p.key] for p in group)
        mark = figs[group[0].key].mark
        others_pnl = totals.unrealized_pnl - g.unrealized_pnl
        base = wallet_balance + others_pnl - (totals.requirement - g.requirement)
        liq = solve_price(base, [rules.leg(p) for p in group], mark)
        reserve = math.fsum(rules.bankruptcy_reserve(p) for p in group)
        bust = solve_price(wallet_balance + others_pnl - reserve, _plain_legs(group), mark)
        cross_prices[symbol] = (liq, bust)

    out: list[PositionRisk] = []
    cross_ims: list[float | None] = []
    for p in positions:
        f = figs[p.key]
        scope = "position"
        if p.margin_mode is MarginMode.CROSS:
            liq, bust = cross_prices[p.symbol]
            ratio, risk, liquidated = acc_ratio, acc_risk, acc_liquidated
            safe = equity > totals.requirement
            if len(groups[p.symbol]) > 1:
                scope = "pair"  # both hedge legs of the symbol share one price: the pair's, not this leg's
        else:
            margin = p.isolated_margin if p.isolated_margin is not None else 0.0
            pos_equity = margin + f.unrealized_pnl
            ratio = rules.margin_ratio(pos_equity, f.requirement)
            risk = rules.risk(pos_equity, f.requirement)
            liquidated = _is_liquidated(pos_equity, risk)
            safe = pos_equity > f.requirement
            liq = solve_price(margin, [rules.leg(p)], f.mark)
            bust = solve_price(margin - rules.bankruptcy_reserve(p), _plain_legs([p]), f.mark)
        sigma = sigma_by_symbol.get(p.symbol) if sigma_by_symbol is not None else None
        toward = _toward(liq, f.mark, safe)
        im = rules.initial_margin(p, f.mark)
        if p.margin_mode is MarginMode.CROSS:
            cross_ims.append(im)
        dist = distance_pct(toward, f.mark, liq)
        be, be_source = rules.break_even_price(p)
        out.append(
            PositionRisk(
                symbol=p.symbol,
                side=p.side,
                margin_mode=p.margin_mode,
                size=p.size,
                entry_price=p.entry_price,
                mark_price=f.mark,
                notional=rules.notional(p, f.mark),
                unrealized_pnl=f.unrealized_pnl,
                initial_margin=im,
                maintenance_margin=f.maintenance_margin,
                liquidation_price=liq,
                bankruptcy_price=bust,
                distance_to_liquidation_pct=dist,
                distance_sigma=distance_sigma(toward, f.mark, liq, sigma),
                margin_ratio=ratio,
                risk=risk,
                liquidated=liquidated,
                leverage=p.leverage,
                exchange_liquidation_price=p.exchange_liquidation_price,
                roe=roe_at_entry(p, f.unrealized_pnl),
                exchange_roe=p.exchange_roe,
                liquidation_scope=scope,
                break_even_price=be,
                break_even_source=be_source,
                liquidation_distance=None if dist is None else dist / 100.0 * f.mark,
            )
        )
    return AccountRisk(
        wallet_balance=wallet_balance + isolated_wallets,
        margin_balance=equity + isolated_wallets + isolated_pnl,
        maintenance_margin=totals.maintenance_margin,
        margin_ratio=acc_ratio,
        risk=acc_risk,
        liquidated=acc_liquidated,
        positions=tuple(out),
        cross_wallet_balance=wallet_balance,
        cross_margin_balance=equity,
        notional=math.fsum(r.notional for r in out),
        available_balance=free_margin(equity, cross_ims),
    )


def evaluate_account(
    rules: ExchangeRisk,
    wallet_balance: float,
    positions: Sequence[Position],
    marks: Mapping[str, float] | None = None,
    sigma_by_symbol: Mapping[str, float | None] | None = None,
) -> AccountRisk:
    """Everything from scratch. ``marks`` by symbol override each position's own mark (what-if)."""
    keys = [p.key for p in positions]
    if len(set(keys)) != len(keys):
        raise ValueError("two positions with the same symbol and side in one account")
    figs: dict[tuple[str, Side], PositionFigures] = {}
    for p in positions:
        mark = marks[p.symbol] if marks is not None and p.symbol in marks else mark_of(p)
        figs[p.key] = figures(rules, p, mark)
    totals = CrossTotals.of(figs[p.key] for p in positions if p.margin_mode is MarginMode.CROSS)
    return assemble(rules, wallet_balance, positions, figs, totals, sigma_by_symbol)
