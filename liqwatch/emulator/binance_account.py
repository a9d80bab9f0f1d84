"""A Binance USDⓈ-M account in the emulator: a cross wallet plus isolated wallets, its margin arithmetic,
the liquidation price by bisection, funding settlements, margin calls and Binance's liquidation of it."""

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
from liqwatch.emulator.liquidation import Leg, margin_gap, solve_liquidation_price
from liqwatch.emulator.market import FundingSettlement, SimMarket, Venue
from liqwatch.emulator.scenario import BinanceAccountSpec

MARGIN_CALL_RATIO = 0.8  # Binance warns before it liquidates; re-armed below MARGIN_CALL_REARM
MARGIN_CALL_REARM = 0.7


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
