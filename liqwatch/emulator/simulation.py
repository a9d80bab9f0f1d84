"""The exchange as a whole: the market, the accounts of both venues, and what one step of time does to them."""

from __future__ import annotations

from dataclasses import dataclass, field

from liqwatch.clock import Clock
from liqwatch.emulator.accounts import (
    BinanceAccount,
    FundingApplied,
    HyperliquidAccount,
    Liquidation,
    MarginCall,
)
from liqwatch.emulator.bybit_account import BybitAccount
from liqwatch.emulator.candles import MarkCandles
from liqwatch.emulator.fmt import epoch_ms
from liqwatch.emulator.market import FundingSettlement, Market, SimMarket, Venue
from liqwatch.emulator.okx_sim import OkxBook
from liqwatch.emulator.scenario import Scenario


@dataclass(frozen=True, slots=True)
class SettlementRecord:
    venue: Venue
    symbol: str
    rate: float
    mark: float
    index: float
    time_ms: int


@dataclass(slots=True)
class StepResult:
    """What happened during one or more steps, for the publishers."""

    settlements: list[FundingSettlement] = field(default_factory=list)
    funding: list[FundingApplied] = field(default_factory=list)
    margin_calls: list[MarginCall] = field(default_factory=list)
    liquidations: list[Liquidation] = field(default_factory=list)

    def extend(self, other: StepResult) -> None:
        self.settlements.extend(other.settlements)
        self.funding.extend(other.funding)
        self.margin_calls.extend(other.margin_calls)
        self.liquidations.extend(other.liquidations)


class Simulation:
    def __init__(self, scenario: Scenario, *, seed: int, speed: float, clock: Clock) -> None:
        if not speed > 0:
            raise ValueError("speed must be > 0")
        self.scenario = scenario
        self.seed = seed
        self.speed = speed
        self.clock = clock
        self.market = Market(scenario, seed)
        self.binance_accounts = {a.name: BinanceAccount(a) for a in scenario.binance.accounts}
        self.binance_by_key = {a.api_key: a for a in self.binance_accounts.values()}
        self.hl_accounts = {a.address: HyperliquidAccount.from_spec(a) for a in scenario.hyperliquid.accounts}
        self.bybit_accounts = {a.name: BybitAccount.from_spec(a) for a in scenario.bybit.accounts}
        self.bybit_by_key = {a.spec.api_key: a for a in self.bybit_accounts.values()}
        self.liquidations: list[Liquidation] = []
        self.margin_calls: list[MarginCall] = []
        self.settlement_log: list[SettlementRecord] = []
        self._next_id = [1_000_000]
        start = self.now_ms()
        # Simulated instants map to the wall clock from the last step, so that a paused simulation
        # reports the same nextFundingTime on every call.
        self._anchor_ms = start
        self._anchor_sim = self.market.sim_time
        # Mark-price klines (Binance markPriceKlines, Hyperliquid candleSnapshot): history before now, then live.
        self.candles = MarkCandles(self.market, start_ms=start, speed=speed, seed=seed)
        for ba in self.binance_accounts.values():
            for p in ba.positions:
                p.update_ms = start
        for ya in self.bybit_accounts.values():
            for y in ya.positions:
                y.created_ms = y.update_ms = start
        self.okx = OkxBook(scenario, self.market, start)

    def revoke_binance_key(self, account: str) -> None:
        """The account's API key deleted on the exchange (a fault): from now on every call made with it is
        answered 401 -2015, as Binance answers a deleted key."""
        self.binance_by_key = {k: a for k, a in self.binance_by_key.items() if a.name != account}

    def now_ms(self) -> int:
        """Exchange timestamps are wall-clock, whatever the simulation speed."""
        return epoch_ms(self.clock.now())

    def next_id(self) -> int:
        self._next_id[0] += 1
        return self._next_id[0]

    def wall_ms_of_sim(self, sim_time: float) -> int:
        """When a simulated instant happens on the wall clock at the current speed."""
        return self._anchor_ms + round((sim_time - self._anchor_sim) / self.speed * 1000)

    def next_funding_ms(self, market: SimMarket) -> int:
        return self.wall_ms_of_sim(self.market.next_funding_sim_time(market))

    @property
    def binance_markets(self) -> dict[str, SimMarket]:
        return self.market.binance

    @property
    def hl_markets(self) -> dict[str, SimMarket]:
        return self.market.hyperliquid

    def step(self) -> StepResult:
        result = StepResult()
        now = self.now_ms()
        settlements = self.market.step()
        self.candles.record(now)
        for settlement in settlements:
            result.settlements.append(settlement)
            self.settlement_log.append(
                SettlementRecord(
                    settlement.venue, settlement.symbol, settlement.rate, settlement.mark, settlement.index, now
                )
            )
            if settlement.venue is Venue.BYBIT:
                for ya in self.bybit_accounts.values():
                    result.funding.extend(ya.apply_funding(settlement, now, self._next_id))
            if settlement.venue is Venue.OKX:
                result.funding.extend(self.okx.settle(settlement, now, self._next_id))
            elif settlement.venue is Venue.BINANCE:
                for ba in self.binance_accounts.values():
                    result.funding.extend(ba.apply_funding(settlement, now, self._next_id))
            else:
                for ha in self.hl_accounts.values():
                    result.funding.extend(ha.apply_funding(settlement, now, self._next_id))
        sim_time = self.market.sim_time
        self._anchor_ms = now
        self._anchor_sim = sim_time
        for ba in self.binance_accounts.values():
            result.margin_calls.extend(ba.check_margin_calls(self.market.binance, now))
            result.liquidations.extend(ba.check_liquidations(self.market.binance, now, sim_time, self._next_id))
        for ha in self.hl_accounts.values():
            result.liquidations.extend(ha.check_liquidations(self.market.hyperliquid, now, sim_time))
        self._step_bybit(result, now, sim_time)
        result.liquidations.extend(self.okx.after_step(now, sim_time))
        self.liquidations.extend(result.liquidations)
        self.margin_calls.extend(result.margin_calls)
        return result

    def path_prices(self) -> dict[str, float]:
        """Each price path's index now: what a Bybit account's collateral coins are valued at."""
        return {name: path.price for name, path in self.market.paths.items()}

    def _step_bybit(self, result: StepResult, now: int, sim_time: float) -> None:
        step_s = self.market.step_seconds
        on_the_hour = int(sim_time // 3600) > int((sim_time - step_s) // 3600)
        index_of = self.path_prices()
        for ya in self.bybit_accounts.values():
            ya.accrue_interest(step_s)
            if on_the_hour:
                ya.charge_interest(now, self._next_id)
            result.liquidations.extend(ya.check_liquidations(self.market.bybit, index_of, now, sim_time, self._next_id))

    def liquidation_prices(self) -> dict[tuple[str, str, str], float | None]:
        """The emulator's own liquidation price of every open position: (account, symbol, side) -> price."""
        out: dict[tuple[str, str, str], float | None] = {}
        for ba in self.binance_accounts.values():
            for p in ba.positions:
                side = p.side.value if ba.hedge else ("LONG" if p.qty > 0 else "SHORT")
                out[(ba.name, p.symbol, side)] = ba.liquidation_price(p, self.market.binance)
        for ha in self.hl_accounts.values():
            for q in ha.positions:
                out[(ha.name, q.coin, "LONG" if q.szi > 0 else "SHORT")] = ha.liquidation_price(
                    q, self.market.hyperliquid
                )
        index_of = self.path_prices()
        for ya in self.bybit_accounts.values():
            for y in ya.positions:
                side = "LONG" if y.qty > 0 else "SHORT"
                out[(ya.name, y.symbol, side)] = ya.liquidation_price(y, self.market.bybit, index_of)
        out.update(self.okx.liquidation_prices())
        return out
