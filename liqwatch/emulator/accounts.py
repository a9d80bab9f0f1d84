"""Accounts and their ledgers: positions, wallets, funding cash flows, margin and the exchanges' liquidations.

Binance and Hyperliquid keep money differently (a cross wallet plus isolated wallets; a USDC balance plus
isolated margins), so each has its own account type; both answer the same questions: equity,
maintenance margin, the liquidation price of a position (by the bisection in ``liquidation``), and
whether the exchange would liquidate now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from liqwatch.emulator.liquidation import Leg, margin_gap, solve_liquidation_price
from liqwatch.emulator.market import FundingSettlement, SimMarket, Venue
from liqwatch.emulator.scenario import BinanceAccountSpec, HyperliquidAccountSpec

MARGIN_CALL_RATIO = 0.8  # Binance warns before it liquidates; re-armed below MARGIN_CALL_REARM
MARGIN_CALL_REARM = 0.7
HL_BACKSTOP_FRACTION = 2.0 / 3.0


class PositionSide(StrEnum):
    BOTH = "BOTH"
    LONG = "LONG"
    SHORT = "SHORT"


@dataclass(slots=True)
class BinancePosition:
    symbol: str
    side: PositionSide
    qty: float  # signed: > 0 long, < 0 short
    entry: float
    isolated: bool
    isolated_wallet: float  # 0 for cross
    leverage: int
    realized: float = 0.0
    update_ms: int = 0


@dataclass(frozen=True, slots=True)
class IncomeRecord:
    symbol: str
    income_type: str
    amount: float
    asset: str
    time_ms: int
    tran_id: int
    trade_id: str = ""
    info: str = ""


@dataclass(frozen=True, slots=True)
class ClosedLeg:
    symbol: str
    side: str  # Binance position side, or "long"/"short" on Hyperliquid
    qty: float  # signed size before the close
    entry: float
    price: float  # where it was closed (the mark at the trigger)
    realized: float
    isolated: bool


@dataclass(frozen=True, slots=True)
class Liquidation:
    venue: Venue
    account: str
    legs: tuple[ClosedLeg, ...]
    isolated: bool
    time_ms: int
    sim_time: float
    equity: float  # at the trigger
    maintenance: float  # at the trigger
    liquidation_price: float | None  # the solver's price for the closed position, at the trigger
    backstop: bool = False


@dataclass(frozen=True, slots=True)
class MarginCall:
    venue: Venue
    account: str
    positions: tuple[BinancePosition, ...]
    cross_wallet: float
    time_ms: int


@dataclass(frozen=True, slots=True)
class FundingApplied:
    venue: Venue
    account: str
    symbol: str
    amount: float
    rate: float
    qty: float
    isolated: bool
    time_ms: int


class BinanceAccount:
    def __init__(self, spec: BinanceAccountSpec) -> None:
        self.spec = spec
        self.name = spec.name
        self.api_key = spec.api_key
        self.secret = spec.secret
        self.hedge = spec.position_mode == "hedge"
        self.cross_wallet = spec.wallet
        self.positions: list[BinancePosition] = []
        for p in spec.positions:
            sign = 1.0 if p.side == "long" else -1.0
            side = PositionSide.BOTH
            if self.hedge:
                side = PositionSide.LONG if p.side == "long" else PositionSide.SHORT
            self.positions.append(
                BinancePosition(
                    symbol=p.symbol,
                    side=side,
                    qty=sign * p.size,
                    entry=p.entry,
                    isolated=p.margin == "isolated",
                    isolated_wallet=p.isolated_wallet or 0.0,
                    leverage=p.leverage,
                )
            )
        self.leverage: dict[str, int] = {p.symbol: p.leverage for p in self.positions}
        self.income: list[IncomeRecord] = []
        self._margin_call_armed: dict[str, bool] = {}

    # --- margin arithmetic -------------------------------------------------------------------------
    @staticmethod
    def upnl(p: BinancePosition, mark: float) -> float:
        return p.qty * (mark - p.entry)

    @staticmethod
    def mm(p: BinancePosition, market: SimMarket) -> float:
        return market.tiers.maintenance_margin(abs(p.qty) * market.mark)

    @staticmethod
    def im(p: BinancePosition, market: SimMarket) -> float:
        return abs(p.qty) * market.mark / p.leverage

    def wallet_balance(self) -> float:
        return self.cross_wallet + sum(p.isolated_wallet for p in self.positions if p.isolated)

    def cross_equity(self, markets: dict[str, SimMarket]) -> float:
        return self.cross_wallet + sum(self.upnl(p, markets[p.symbol].mark) for p in self.positions if not p.isolated)

    def cross_mm(self, markets: dict[str, SimMarket]) -> float:
        return sum(self.mm(p, markets[p.symbol]) for p in self.positions if not p.isolated)

    def liquidation_price(self, p: BinancePosition, markets: dict[str, SimMarket]) -> float | None:
        market = markets[p.symbol]
        if p.isolated:
            return solve_liquidation_price([Leg(p.qty, p.entry, market.tiers)], p.isolated_wallet, 0.0, market.mark)
        # Cross: every cross leg of this symbol moves together; everything else stays at its mark.
        legs = [Leg(q.qty, q.entry, market.tiers) for q in self.positions if not q.isolated and q.symbol == p.symbol]
        fixed_equity = self.cross_wallet
        fixed_mm = 0.0
        for q in self.positions:
            if q.isolated or q.symbol == p.symbol:
                continue
            other = markets[q.symbol]
            fixed_equity += self.upnl(q, other.mark)
            fixed_mm += self.mm(q, other)
        return solve_liquidation_price(legs, fixed_equity, fixed_mm, market.mark)

    # --- ledger ----------------------------------------------------------------------------------
    def apply_funding(self, settlement: FundingSettlement, time_ms: int, next_id: list[int]) -> list[FundingApplied]:
        applied: list[FundingApplied] = []
        for p in self.positions:
            if p.symbol != settlement.symbol:
                continue
            # Rate > 0: longs pay shorts, on the notional at the mark.
            amount = -p.qty * settlement.mark * settlement.rate
            if p.isolated:
                p.isolated_wallet += amount
            else:
                self.cross_wallet += amount
            p.update_ms = time_ms
            next_id[0] += 1
            self.income.append(
                IncomeRecord(p.symbol, "FUNDING_FEE", amount, "USDT", time_ms, next_id[0], info="FUNDING_FEE")
            )
            applied.append(
                FundingApplied(Venue.BINANCE, self.name, p.symbol, amount, settlement.rate, p.qty, p.isolated, time_ms)
            )
        return applied

    def check_margin_calls(self, markets: dict[str, SimMarket], time_ms: int) -> list[MarginCall]:
        calls: list[MarginCall] = []
        groups: dict[str, list[BinancePosition]] = {}
        ratios: dict[str, float] = {}
        cross = [p for p in self.positions if not p.isolated]
        if cross:
            equity = self.cross_equity(markets)
            groups["cross"] = cross
            ratios["cross"] = self.cross_mm(markets) / equity if equity > 0 else float("inf")
        for p in self.positions:
            if p.isolated:
                key = f"{p.symbol}:{p.side}"
                equity = p.isolated_wallet + self.upnl(p, markets[p.symbol].mark)
                groups[key] = [p]
                ratios[key] = self.mm(p, markets[p.symbol]) / equity if equity > 0 else float("inf")
        for key, ratio in ratios.items():
            armed = self._margin_call_armed.get(key, True)
            if armed and ratio >= MARGIN_CALL_RATIO:
                self._margin_call_armed[key] = False
                calls.append(MarginCall(Venue.BINANCE, self.name, tuple(groups[key]), self.cross_wallet, time_ms))
            elif not armed and ratio < MARGIN_CALL_REARM:
                self._margin_call_armed[key] = True
        return calls

    def check_liquidations(
        self,
        markets: dict[str, SimMarket],
        time_ms: int,
        sim_time: float,
        next_id: list[int],
    ) -> list[Liquidation]:
        out: list[Liquidation] = []
        cross = [p for p in self.positions if not p.isolated]
        if cross:
            equity = self.cross_equity(markets)
            mm = self.cross_mm(markets)
            # Binance: "positions will be liquidated once Margin Balance <= Maintenance Margin".
            if equity - mm <= 0:
                solved = self.liquidation_price(cross[0], markets)
                legs: list[ClosedLeg] = []
                realized_total = 0.0
                for p in cross:
                    mark = markets[p.symbol].mark
                    realized = self.upnl(p, mark)
                    realized_total += realized
                    legs.append(ClosedLeg(p.symbol, p.side.value, p.qty, p.entry, mark, realized, False))
                    next_id[0] += 1
                    self.income.append(
                        IncomeRecord(
                            p.symbol, "REALIZED_PNL", realized, "USDT", time_ms, next_id[0], trade_id=str(next_id[0])
                        )
                    )
                remaining = self.cross_wallet + realized_total
                # What is left of the margin goes to the insurance fund, as the exchange's clearance.
                if remaining > 0:
                    next_id[0] += 1
                    self.income.append(
                        IncomeRecord(legs[0].symbol, "INSURANCE_CLEAR", -remaining, "USDT", time_ms, next_id[0])
                    )
                self.cross_wallet = 0.0
                self.positions = [p for p in self.positions if p.isolated]
                out.append(
                    Liquidation(Venue.BINANCE, self.name, tuple(legs), False, time_ms, sim_time, equity, mm, solved)
                )
        for p in list(self.positions):
            if not p.isolated:
                continue
            market = markets[p.symbol]
            equity = p.isolated_wallet + self.upnl(p, market.mark)
            mm = self.mm(p, market)
            if margin_gap(market.mark, [Leg(p.qty, p.entry, market.tiers)], p.isolated_wallet, 0.0) > 0:
                continue
            solved = self.liquidation_price(p, markets)
            realized = max(self.upnl(p, market.mark), -p.isolated_wallet)
            next_id[0] += 1
            self.income.append(
                IncomeRecord(p.symbol, "REALIZED_PNL", realized, "USDT", time_ms, next_id[0], trade_id=str(next_id[0]))
            )
            remaining = p.isolated_wallet + realized
            if remaining > 0:
                next_id[0] += 1
                self.income.append(IncomeRecord(p.symbol, "INSURANCE_CLEAR", -remaining, "USDT", time_ms, next_id[0]))
            self.positions.remove(p)
            leg = ClosedLeg(p.symbol, p.side.value, p.qty, p.entry, market.mark, realized, True)
            out.append(Liquidation(Venue.BINANCE, self.name, (leg,), True, time_ms, sim_time, equity, mm, solved))
        return out


@dataclass(slots=True)
class HlPosition:
    coin: str
    szi: float  # signed
    entry: float
    isolated: bool
    isolated_margin: float  # margin set aside for an isolated position, without its uPnL
    leverage: int
    cum_all: float = 0.0  # funding paid (positive) since the account began
    cum_open: float = 0.0
    cum_change: float = 0.0


@dataclass(frozen=True, slots=True)
class HlFunding:
    time_ms: int
    coin: str
    usdc: float
    szi: float
    rate: float
    hash: str


@dataclass(slots=True)
class HyperliquidAccount:
    spec: HyperliquidAccountSpec
    name: str = ""
    address: str = ""
    balance: float = 0.0
    positions: list[HlPosition] = field(default_factory=list)
    fundings: list[HlFunding] = field(default_factory=list)

    @classmethod
    def from_spec(cls, spec: HyperliquidAccountSpec) -> HyperliquidAccount:
        account = cls(spec=spec, name=spec.name, address=spec.address, balance=spec.balance)
        for p in spec.positions:
            sign = 1.0 if p.side == "long" else -1.0
            account.positions.append(
                HlPosition(p.coin, sign * p.size, p.entry, p.margin == "isolated", p.isolated_margin or 0.0, p.leverage)
            )
        return account

    @staticmethod
    def upnl(p: HlPosition, mark: float) -> float:
        return p.szi * (mark - p.entry)

    @staticmethod
    def mm(p: HlPosition, market: SimMarket) -> float:
        return market.tiers.maintenance_margin(abs(p.szi) * market.mark)

    def cross_value(self, markets: dict[str, SimMarket]) -> float:
        return self.balance + sum(self.upnl(p, markets[p.coin].mark) for p in self.positions if not p.isolated)

    def cross_mm(self, markets: dict[str, SimMarket]) -> float:
        return sum(self.mm(p, markets[p.coin]) for p in self.positions if not p.isolated)

    def isolated_value(self, p: HlPosition, markets: dict[str, SimMarket]) -> float:
        return p.isolated_margin + self.upnl(p, markets[p.coin].mark)

    def liquidation_price(self, p: HlPosition, markets: dict[str, SimMarket]) -> float | None:
        market = markets[p.coin]
        if p.isolated:
            return solve_liquidation_price([Leg(p.szi, p.entry, market.tiers)], p.isolated_margin, 0.0, market.mark)
        fixed_equity = self.balance
        fixed_mm = 0.0
        for q in self.positions:
            if q.isolated or q is p:
                continue
            other = markets[q.coin]
            fixed_equity += self.upnl(q, other.mark)
            fixed_mm += self.mm(q, other)
        return solve_liquidation_price([Leg(p.szi, p.entry, market.tiers)], fixed_equity, fixed_mm, market.mark)

    def apply_funding(self, settlement: FundingSettlement, time_ms: int, next_id: list[int]) -> list[FundingApplied]:
        applied: list[FundingApplied] = []
        for p in self.positions:
            if p.coin != settlement.symbol:
                continue
            # Hyperliquid pays on the oracle price, not the mark.
            amount = -p.szi * settlement.index * settlement.rate
            if p.isolated:
                p.isolated_margin += amount
            else:
                self.balance += amount
            p.cum_all -= amount
            p.cum_open -= amount
            p.cum_change -= amount
            next_id[0] += 1
            self.fundings.append(HlFunding(time_ms, p.coin, amount, p.szi, settlement.rate, f"0x{next_id[0]:064x}"))
            applied.append(
                FundingApplied(
                    Venue.HYPERLIQUID, self.name, p.coin, amount, settlement.rate, p.szi, p.isolated, time_ms
                )
            )
        return applied

    def check_liquidations(
        self,
        markets: dict[str, SimMarket],
        time_ms: int,
        sim_time: float,
    ) -> list[Liquidation]:
        out: list[Liquidation] = []
        cross = [p for p in self.positions if not p.isolated]
        if cross:
            value = self.cross_value(markets)
            mm = self.cross_mm(markets)
            # Hyperliquid: liquidated when account value falls below maintenance margin.
            if value < mm:
                solved = self.liquidation_price(cross[0], markets)
                legs = tuple(
                    ClosedLeg(
                        p.coin,
                        "long" if p.szi > 0 else "short",
                        p.szi,
                        p.entry,
                        markets[p.coin].mark,
                        self.upnl(p, markets[p.coin].mark),
                        False,
                    )
                    for p in cross
                )
                backstop = value < HL_BACKSTOP_FRACTION * mm
                self.balance = max(0.0, value - mm) if backstop else max(0.0, value)
                self.positions = [p for p in self.positions if p.isolated]
                out.append(
                    Liquidation(
                        Venue.HYPERLIQUID, self.name, legs, False, time_ms, sim_time, value, mm, solved, backstop
                    )
                )
        for p in list(self.positions):
            if not p.isolated:
                continue
            market = markets[p.coin]
            value = self.isolated_value(p, markets)
            mm = self.mm(p, market)
            if value >= mm:
                continue
            solved = self.liquidation_price(p, markets)
            backstop = value < HL_BACKSTOP_FRACTION * mm
            self.balance += max(0.0, value - mm) if backstop else max(0.0, value)
            self.positions.remove(p)
            side = "long" if p.szi > 0 else "short"
            leg = ClosedLeg(p.coin, side, p.szi, p.entry, market.mark, self.upnl(p, market.mark), True)
            out.append(
                Liquidation(Venue.HYPERLIQUID, self.name, (leg,), True, time_ms, sim_time, value, mm, solved, backstop)
            )
        return out
