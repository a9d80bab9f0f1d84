"""An OKX account in the emulator: currency balances (and borrowings), swap positions in contracts, OKX's
margin ratio (equity / (MM + liquidation fee), liquidation at <= 1), the liquidation price by bisection,
funding, hourly interest, and OKX's liquidation of it.

Single-currency margin (acctLv 2): USDT equity against USDT positions. Multi-currency margin (acctLv 3): the
adjusted equity counts every currency at OKX's tiered discount rate, less liabilities and accrued interest.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field

from liqwatch.emulator.account_records import ClosedLeg, FundingApplied, Liquidation
from liqwatch.emulator.liquidation import Leg, solve_liquidation_price
from liqwatch.emulator.market import FundingSettlement, SimMarket, Venue
from liqwatch.emulator.okx_scenario import OkxAccountSpec, OkxSpec
from liqwatch.tiers import TierTable

_NO_MM = TierTable.flat(0.0)


@dataclass(slots=True)
class OkxPosition:
    inst_id: str
    pos: float  # signed contracts (net mode)
    entry: float
    ct_val: float
    isolated: bool
    isolated_margin: float  # the position's margin balance without its uPnL; 0 for cross
    leverage: int
    pos_id: str
    funding_fee: float = 0.0  # received (+) / paid (-) since opened, as OKX's fundingFee
    open_ms: int = 0

    @property
    def qty(self) -> float:
        """Signed size in coins."""
        return self.pos * self.ct_val


@dataclass(frozen=True, slots=True)
class OkxBill:
    bill_id: str
    ccy: str
    inst_id: str
    kind: str  # OKX bill type: "8" funding fee, "7" interest deduction
    amount: float
    balance: float
    time_ms: int


@dataclass(slots=True)
class OkxAccount:
    spec: OkxAccountSpec
    okx: OkxSpec
    price_of: Callable[[str], float]  # USD price of a currency (USDT: 1)
    name: str = ""
    balances: dict[str, float] = field(default_factory=dict)  # cashBal, isolated margins not included
    liabilities: dict[str, float] = field(default_factory=dict)
    interest: dict[str, float] = field(default_factory=dict)  # accrued, not yet deducted
    interest_today: dict[str, float] = field(default_factory=dict)
    positions: list[OkxPosition] = field(default_factory=list)
    bills: list[OkxBill] = field(default_factory=list)

    @property
    def multi(self) -> bool:
        return self.spec.mode == "multi"

    @property
    def acct_lv(self) -> str:
        return "3" if self.multi else "2"

    # --- per position -------------------------------------------------------------------------------
    @staticmethod
    def upl(p: OkxPosition, mark: float) -> float:
        return p.qty * (mark - p.entry)

    @staticmethod
    def mmr(p: OkxPosition, market: SimMarket) -> float:
        # OKX tiers are in contracts, each up to its maxSz inclusive (the table's caps)
        size = abs(p.pos)
        return next((t.mmr for t in market.tiers.tiers if size <= t.cap), market.tiers.tiers[-1].mmr)

    def mm(self, p: OkxPosition, market: SimMarket) -> float:
        return abs(p.qty) * market.mark * self.mmr(p, market)

    def fee(self, p: OkxPosition, market: SimMarket) -> float:
        """OKX's liquidation fee term: position value at the mark times the taker rate."""
        return abs(p.qty) * market.mark * self.spec.taker_fee

    def requirement(self, p: OkxPosition, market: SimMarket) -> float:
        return self.mm(p, market) + self.fee(p, market)

    def isolated_equity(self, p: OkxPosition, market: SimMarket) -> float:
        return p.isolated_margin + self.upl(p, market.mark)

    def position_ratio(self, p: OkxPosition, markets: dict[str, SimMarket]) -> float | None:
        """OKX ``mgnRatio``: of the position when isolated, of the account when cross."""
        market = markets[p.inst_id]
        if p.isolated:
            req = self.requirement(p, market)
            return self.isolated_equity(p, market) / req if req > 0 else None
        return self.account_ratio(markets)

    # --- account ------------------------------------------------------------------------------------
    def discounted(self, ccy: str, amount: float) -> float:
        value = amount * self.price_of(ccy)
        if not self.multi or value <= 0:
            return value
        return value - self.okx.currency(ccy).haircut_table().maintenance_margin(value)

    def cross_upl(self, markets: dict[str, SimMarket]) -> float:
        return sum(self.upl(p, markets[p.inst_id].mark) for p in self.positions if not p.isolated)

    def debt_usd(self) -> float:
        ccys = set(self.liabilities) | set(self.interest)
        return sum((self.liabilities.get(c, 0.0) + self.interest.get(c, 0.0)) * self.price_of(c) for c in ccys)

    def adjusted_equity(self, markets: dict[str, SimMarket]) -> float:
        """Cross equity as OKX counts it: single-currency USDT equity, or multi-currency adjEq (USD)."""
        cash = sum(self.discounted(c, v) for c, v in self.balances.items())
        return cash + self.cross_upl(markets) - self.debt_usd()

    def total_equity(self, markets: dict[str, SimMarket]) -> float:
        """totalEq: every currency at full value, isolated margins and all uPnL included, less debt."""
        cash = sum(v * self.price_of(c) for c, v in self.balances.items())
        iso = sum(self.isolated_equity(p, markets[p.inst_id]) for p in self.positions if p.isolated)
        return cash + iso + self.cross_upl(markets) - self.debt_usd()

    def cross_mm(self, markets: dict[str, SimMarket]) -> float:
        return sum(self.mm(p, markets[p.inst_id]) for p in self.positions if not p.isolated)

    def cross_requirement(self, markets: dict[str, SimMarket]) -> float:
        return sum(self.requirement(p, markets[p.inst_id]) for p in self.positions if not p.isolated)

    def account_ratio(self, markets: dict[str, SimMarket]) -> float | None:
        req = self.cross_requirement(markets)
        return self.adjusted_equity(markets) / req if req > 0 else None

    # --- the independent solve ------------------------------------------------------------------------
    def liquidation_price(self, p: OkxPosition, markets: dict[str, SimMarket], collateral_path: Callable[
            [str], str | None], market_path: Callable[[str], str]) -> float | None:
        """The mark at which OKX's ratio reaches 1, other positions at their marks.

        The requirement rate (tier by contracts + taker fee) does not move with the price, so each leg
        carries a flat table. In a multi-currency account a currency on the position's own price path moves
        with the trial price (at today's index/mark ratio) and keeps its tiered haircut."""
        market = markets[p.inst_id]
        rate = TierTable.flat(self.mmr(p, market) + self.spec.taker_fee)
        leg = Leg(p.qty, p.entry, rate)
        if p.isolated:
            return solve_liquidation_price([leg], p.isolated_margin, 0.0, market.mark)
        legs = [leg]
        fixed_equity = -self.debt_usd()
        fixed_req = 0.0
        own_path = market_path(p.inst_id)
        for ccy, amount in self.balances.items():
            if self.multi and collateral_path(ccy) == own_path and amount > 0 and market.mark > 0:
                ratio = self.price_of(ccy) / market.mark
                legs.append(Leg(amount * ratio, 0.0, self.okx.currency(ccy).haircut_table()))
            else:
                fixed_equity += self.discounted(ccy, amount)
        for q in self.positions:
            if q.isolated or q is p:
                continue
            other = markets[q.inst_id]
            fixed_equity += self.upl(q, other.mark)
            fixed_req += self.requirement(q, other)
        return solve_liquidation_price(legs, fixed_equity, fixed_req, market.mark)

    # --- what time does ------------------------------------------------------------------------------
    def apply_funding(self, settlement: FundingSettlement, time_ms: int, next_id: list[int]) -> list[FundingApplied]:
        out: list[FundingApplied] = []
        for p in self.positions:
            if p.inst_id != settlement.symbol:
                continue
            # OKX: funding fee = position value (at the mark) x rate; longs pay when the rate is positive.
            amount = -p.qty * settlement.mark * settlement.rate
            if p.isolated:
                p.isolated_margin += amount
            else:
                self.balances["USDT"] = self.balances.get("USDT", 0.0) + amount
            p.funding_fee += amount
            next_id[0] += 1
            self.bills.append(OkxBill(str(next_id[0]), "USDT", p.inst_id, "8", amount,
                                      self.balances.get("USDT", 0.0), time_ms))
            out.append(FundingApplied(Venue.OKX, self.name, p.inst_id, amount, settlement.rate, p.pos, p.isolated,
                                      time_ms))
        return out

    def accrue_interest(self, hours: int) -> None:
        """OKX charges interest on liabilities hourly; accrued interest counts against equity."""
        for ccy, owed in self.liabilities.items():
            if owed <= 0:
                continue
            charge = owed * self.okx.currency(ccy).hourly_interest * hours
            self.interest[ccy] = self.interest.get(ccy, 0.0) + charge
            self.interest_today[ccy] = self.interest_today.get(ccy, 0.0) + charge

    def check_liquidations(self, markets: dict[str, SimMarket], time_ms: int, sim_time: float,
                           solve: Callable[[OkxPosition], float | None]) -> list[Liquidation]:
        out: list[Liquidation] = []
        cross = [p for p in self.positions if not p.isolated]
        ratio = self.account_ratio(markets)
        if cross and ratio is not None and ratio <= 1.0:
            solved = solve(cross[0])
            equity, req = self.adjusted_equity(markets), self.cross_requirement(markets)
            legs = tuple(self._closed(p, markets[p.inst_id]) for p in cross)
            for leg in legs:
                self.balances["USDT"] = self.balances.get("USDT", 0.0) + leg.realized
            self.positions = [p for p in self.positions if p.isolated]
            out.append(Liquidation(Venue.OKX, self.name, legs, False, time_ms, sim_time, equity, req, solved))
        for p in list(self.positions):
            if not p.isolated:
                continue
            market = markets[p.inst_id]
            if self.isolated_equity(p, market) > self.requirement(p, market):
                continue
            solved = solve(p)
            value, req = self.isolated_equity(p, market), self.requirement(p, market)
            self.balances["USDT"] = self.balances.get("USDT", 0.0) + max(0.0, value - self.fee(p, market))
            self.positions.remove(p)
            out.append(Liquidation(Venue.OKX, self.name, (self._closed(p, market),), True, time_ms, sim_time,
                                   value, req, solved))
        return out

    def _closed(self, p: OkxPosition, market: SimMarket) -> ClosedLeg:
        side = "long" if p.pos > 0 else "short"
        return ClosedLeg(p.inst_id, side, p.qty, p.entry, market.mark, self.upl(p, market.mark), p.isolated)


def okx_account(spec: OkxAccountSpec, okx: OkxSpec, price_of: Callable[[str], float], start_ms: int) -> OkxAccount:
    account = OkxAccount(spec=spec, okx=okx, price_of=price_of, name=spec.name, balances=dict(spec.balances),
                         liabilities=dict(spec.liabilities))
    account.balances.setdefault("USDT", 0.0)
    for i, p in enumerate(spec.positions):
        sign = 1.0 if p.side == "long" else -1.0
        ct_val = next(m.ct_val for m in okx.markets if m.inst_id == p.inst_id)
        account.positions.append(OkxPosition(
            p.inst_id, sign * p.contracts, p.entry, ct_val, p.margin == "isolated", p.isolated_margin or 0.0,
            p.leverage, str(zlib.crc32(f"{spec.name}:{p.inst_id}".encode()) * 100 + i), open_ms=start_ms))
    return account
