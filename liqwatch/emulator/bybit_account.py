"""A Bybit unified trading account (UTA) in the emulator: a USDT wallet (negative = borrowed), other coins as
collateral, cross and isolated linear positions, hourly borrow interest, funding, and Bybit's liquidation.

Bybit's own definitions (formulas.md §2): a position's margins are taken at its entry price, and a UTA adds
the estimated fee to close (size x bankruptcy price x taker rate) to both its initial and maintenance margin.
Cross positions are liquidated when the account's maintenance margin reaches its margin balance (account
MM rate 100 %); an isolated one when its position margin plus PnL reaches its own maintenance margin.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from liqwatch.emulator.account_records import ClosedLeg, FundingApplied, Liquidation
from liqwatch.emulator.bybit_scenario import BybitAccountSpec
from liqwatch.emulator.liquidation import Leg, solve_liquidation_price
from liqwatch.emulator.market import FundingSettlement, SimMarket, Venue
from liqwatch.tiers import TierTable

# The solver's legs carry no margin of their own: Bybit's requirement is fixed at entry and rides in fixed_mm.
_NO_TIERS = TierTable.flat(0.0)


@dataclass(slots=True)
class BybitPosition:
    symbol: str
    qty: float  # signed: > 0 long, < 0 short
    entry: float
    isolated: bool
    position_margin: float  # isolated: Bybit positionBalance; 0 for cross
    leverage: float
    created_ms: int = 0
    update_ms: int = 0
    cum_realised: float = 0.0


@dataclass(frozen=True, slots=True)
class BybitExecution:
    """One row of Bybit's execution stream / list: a funding fee, or a liquidation fill (BustTrade)."""

    exec_id: str
    symbol: str
    exec_type: str  # "Funding" | "BustTrade"
    side: str  # "Buy" | "Sell": the side of the fill (a long's liquidation sells)
    qty: float
    price: float
    fee: float  # Bybit's sign: > 0 paid by the account
    fee_rate: float
    time_ms: int


@dataclass(frozen=True, slots=True)
class BybitTransaction:
    """A row of ``account/transaction-log``: SETTLEMENT (funding), INTEREST, LIQUIDATION."""

    id: str
    symbol: str
    kind: str
    cash_flow: float
    funding: float
    fee: float
    time_ms: int


@dataclass(slots=True)
class Collateral:
    coin: str
    amount: float
    path: str
    ratio: float


@dataclass(slots=True)
class BybitAccount:
    spec: BybitAccountSpec
    usdt_wallet: float = 0.0
    positions: list[BybitPosition] = field(default_factory=list)
    collateral: list[Collateral] = field(default_factory=list)
    accrued_interest: float = 0.0  # since the last hourly charge
    interest_today: float = 0.0
    executions: list[BybitExecution] = field(default_factory=list)
    transactions: list[BybitTransaction] = field(default_factory=list)

    @classmethod
    def from_spec(cls, spec: BybitAccountSpec) -> BybitAccount:
        account = cls(spec, usdt_wallet=spec.usdt_wallet)
        for p in spec.positions:
            sign = 1.0 if p.side == "long" else -1.0
            account.positions.append(
                BybitPosition(p.symbol, sign * p.size, p.entry, p.margin == "isolated", p.position_margin or 0.0,
                              p.leverage)
            )
        account.collateral = [Collateral(c.coin, c.amount, c.path, c.collateral_ratio) for c in spec.collateral]
        return account

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def taker(self) -> float:
        return self.spec.taker_fee_rate

    # --- Bybit's margin figures -------------------------------------------------------------------
    def fee_to_close(self, p: BybitPosition) -> float:
        side = 1.0 if p.qty > 0 else -1.0
        return abs(p.qty) * p.entry * (1.0 - side / p.leverage) * self.taker

    def position_mm(self, p: BybitPosition, market: SimMarket) -> float:
        """Position value at entry x MMR - deduction (the riskId tier of that value) + fee to close."""
        return market.tiers.maintenance_margin(abs(p.qty) * p.entry) + self.fee_to_close(p)

    def position_im(self, p: BybitPosition) -> float:
        return abs(p.qty) * p.entry / p.leverage + self.fee_to_close(p)

    @staticmethod
    def upnl(p: BybitPosition, mark: float) -> float:
        return p.qty * (mark - p.entry)

    def bust_price(self, p: BybitPosition) -> float:
        side = 1.0 if p.qty > 0 else -1.0
        return p.entry * (1.0 - side / p.leverage)

    def borrow(self) -> float:
        return max(0.0, -self.usdt_wallet)

    def collateral_value(self, index_of: dict[str, float], weighted: bool = True) -> float:
        return sum(c.amount * index_of[c.path] * (c.ratio if weighted else 1.0) for c in self.collateral)

    def cross_fixed_balance(self, index_of: dict[str, float]) -> float:
        """The cross margin balance without any perpetual's PnL: the USDT wallet, the collateral at its ratio,
        less the interest accrued and not yet charged (a liability, as the borrow is)."""
        return self.usdt_wallet + self.collateral_value(index_of) - self.accrued_interest

    def cross_margin_balance(self, markets: dict[str, SimMarket], index_of: dict[str, float]) -> float:
        return self.cross_fixed_balance(index_of) + sum(
            self.upnl(p, markets[p.symbol].mark) for p in self.positions if not p.isolated
        )

    def cross_mm(self, markets: dict[str, SimMarket]) -> float:
        return sum(self.position_mm(p, markets[p.symbol]) for p in self.positions if not p.isolated)

    def liquidation_price(
        self, p: BybitPosition, markets: dict[str, SimMarket], index_of: dict[str, float]
    ) -> float | None:
        """Bisection on the price of ``p``'s symbol, everything else at its mark (independent of liqwatch.risk)."""
        market = markets[p.symbol]
        mm = self.position_mm(p, market)
        if p.isolated:
            return solve_liquidation_price([Leg(p.qty, p.entry, _NO_TIERS)], p.position_margin, mm, market.mark)
        fixed = self.cross_fixed_balance(index_of)
        for q in self.positions:
            if not q.isolated and q is not p:
                fixed += self.upnl(q, markets[q.symbol].mark)
        return solve_liquidation_price([Leg(p.qty, p.entry, _NO_TIERS)], fixed, self.cross_mm(markets), market.mark)

    # --- what time does to it ---------------------------------------------------------------------
    def accrue_interest(self, seconds: float) -> None:
        self.accrued_interest += self.borrow() * self.spec.hourly_borrow_rate * seconds / 3600.0

    def charge_interest(self, time_ms: int, next_id: list[int]) -> None:
        """Bybit charges borrow interest hourly: it leaves the USDT wallet (the borrow grows by it)."""
        amount = self.accrued_interest
        if amount <= 0:
            return
        self.usdt_wallet -= amount
        self.accrued_interest = 0.0
        self.interest_today += amount
        next_id[0] += 1
        self.transactions.append(BybitTransaction(str(next_id[0]), "", "INTEREST", -amount, 0.0, amount, time_ms))

    def apply_funding(self, settlement: FundingSettlement, time_ms: int, next_id: list[int]) -> list[FundingApplied]:
        applied: list[FundingApplied] = []
        for p in self.positions:
            if p.symbol != settlement.symbol:
                continue
            # Funding fee = position value (at the mark) x rate; rate > 0: longs pay shorts.
            amount = -p.qty * settlement.mark * settlement.rate
            if p.isolated:
                p.position_margin += amount
            else:
                self.usdt_wallet += amount
            p.cum_realised += amount
            p.update_ms = time_ms
            next_id[0] += 1
            side = "Sell" if p.qty < 0 else "Buy"
            self.executions.append(
                BybitExecution(f"f-{next_id[0]}", p.symbol, "Funding", side, abs(p.qty), settlement.mark, -amount,
                               settlement.rate, time_ms)
            )
            self.transactions.append(
                BybitTransaction(str(next_id[0]), p.symbol, "SETTLEMENT", amount, -amount, 0.0, time_ms)
            )
            applied.append(
                FundingApplied(Venue.BYBIT, self.name, p.symbol, amount, settlement.rate, p.qty, p.isolated, time_ms)
            )
        return applied

    def check_liquidations(
        self,
        markets: dict[str, SimMarket],
        index_of: dict[str, float],
        time_ms: int,
        sim_time: float,
        next_id: list[int],
    ) -> list[Liquidation]:
        out: list[Liquidation] = []
        cross = [p for p in self.positions if not p.isolated]
        if cross:
            equity = self.cross_margin_balance(markets, index_of)
            mm = self.cross_mm(markets)
            if equity <= mm:  # account MM rate >= 100 %
                solved = self.liquidation_price(cross[0], markets, index_of)
                legs = [self._close(p, markets[p.symbol].mark, time_ms, next_id) for p in cross]
                self.usdt_wallet += sum(leg.realized for leg in legs)
                self.positions = [p for p in self.positions if p.isolated]
                out.append(Liquidation(Venue.BYBIT, self.name, tuple(legs), False, time_ms, sim_time, equity, mm,
                                       solved))
        for p in list(self.positions):
            if not p.isolated:
                continue
            market = markets[p.symbol]
            equity = p.position_margin + self.upnl(p, market.mark)
            mm = self.position_mm(p, market)
            if equity > mm:
                continue
            solved = self.liquidation_price(p, markets, index_of)
            leg = self._close(p, market.mark, time_ms, next_id)
            # The position's margin is gone (to the loss and the insurance fund); nothing returns to the wallet.
            self.positions.remove(p)
            out.append(Liquidation(Venue.BYBIT, self.name, (leg,), True, time_ms, sim_time, equity, mm, solved))
        return out

    def _close(self, p: BybitPosition, mark: float, time_ms: int, next_id: list[int]) -> ClosedLeg:
        realized = self.upnl(p, mark)
        if p.isolated:
            realized = max(realized, -p.position_margin)
        next_id[0] += 1
        side = "Sell" if p.qty > 0 else "Buy"
        self.executions.append(
            BybitExecution(f"b-{next_id[0]}", p.symbol, "BustTrade", side, abs(p.qty), mark, 0.0, self.taker, time_ms)
        )
        self.transactions.append(BybitTransaction(str(next_id[0]), p.symbol, "LIQUIDATION", realized, 0.0, 0.0,
                                                  time_ms))
        return ClosedLeg(p.symbol, "long" if p.qty > 0 else "short", p.qty, p.entry, mark, realized, p.isolated)
