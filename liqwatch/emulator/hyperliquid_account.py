"""A Hyperliquid account in the emulator: a USDC balance plus isolated margins, its margin arithmetic,
the liquidation price by bisection, funding, and Hyperliquid's liquidation (and backstop) of it."""

from __future__ import annotations

from dataclasses import dataclass, field

from liqwatch.emulator.account_records import (
    ClosedLeg,
    FundingApplied,
    Liquidation,
)
from liqwatch.emulator.liquidation import Leg, solve_liquidation_price
from liqwatch.emulator.market import FundingSettlement, SimMarket, Venue
from liqwatch.emulator.scenario import HyperliquidAccountSpec

HL_BACKSTOP_FRACTION = 2.0 / 3.0


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
