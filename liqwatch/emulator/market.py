"""The simulated market: per-exchange marks, indexes, premiums and funding rates on top of the price paths.

Simulated time moves only in whole steps, so the market is a pure function of the scenario and the seed;
the server maps it onto the wall clock (``--speed``) but never lets the wall clock into the numbers.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from enum import StrEnum

from liqwatch.emulator.bybit_scenario import BybitMarketSpec
from liqwatch.emulator.okx_scenario import OkxMarketSpec
from liqwatch.emulator.paths import PricePath
from liqwatch.emulator.price_rounding import PriceRounding
from liqwatch.emulator.scenario import BinanceMarketSpec, HyperliquidMarketSpec, Scenario
from liqwatch.tiers import TierTable

_PREMIUM_MEMORY_S = 300.0  # how fast the mark/index basis forgets its past


class Venue(StrEnum):
    BINANCE = "binance"
    HYPERLIQUID = "hyperliquid"
    BYBIT = "bybit"
    OKX = "okx"


@dataclass(frozen=True, slots=True)
class FundingSettlement:
    venue: Venue
    symbol: str
    rate: float
    mark: float
    index: float
    sim_time: float  # epoch seconds on the simulated clock


def _venue_rounding(venue: Venue, price_decimals: int) -> PriceRounding:
    if venue is Venue.HYPERLIQUID:
        # Hyperliquid prices carry 5 significant figures and at most 6 - szDecimals decimals.
        return PriceRounding(price_decimals, significant=5)
    if venue is Venue.BYBIT:
        return PriceRounding(price_decimals)  # Bybit prints marks on the symbol's tick size
    return PriceRounding(8)


class SimMarket:
    """One perpetual of one venue: its mark follows the shared index with its own mean-reverting premium."""

    def __init__(
        self,
        venue: Venue,
        symbol: str,
        path: PricePath,
        tiers: TierTable,
        *,
        interval_s: float,
        premium_bps: float,
        premium_noise_bps: float,
        seed: int,
        step_seconds: float,
        price_decimals: int,
    ) -> None:
        self.venue = venue
        self.symbol = symbol
        self.path = path
        self.tiers = tiers
        self.interval_s = interval_s
        self._mean = premium_bps / 10_000.0
        self._sd = premium_noise_bps / 10_000.0
        self._phi = math.exp(-step_seconds / _PREMIUM_MEMORY_S)
        self._rng = random.Random(f"liqwatch-premium:{seed}:{venue}:{symbol}")
        self._dt = step_seconds
        self.rounding = _venue_rounding(venue, price_decimals)
        self._quantize = self.rounding.one
        self.premium = self._mean
        self._premium_area = 0.0
        self._premium_time = 0.0
        self.index = self._quantize(path.price)
        self.mark = self._quantize(path.price * (1.0 + self.premium))
        self.funding_rate = self._rate(self.premium)
        self.last_settled_rate: float | None = None

    @property
    def premium_mean(self) -> float:
        return self._mean

    @property
    def premium_sd(self) -> float:
        return self._sd

    def quantize(self, price: float) -> float:
        """A price as this venue prints it (the history candles use the same rounding as the live marks)."""
        return self._quantize(price)

    def _rate(self, avg_premium: float) -> float:
        if self.venue is Venue.OKX:
            # OKX: clamp(average premium - interest, floor, cap) with interest 0; cap/floor 0.75 % here.
            return min(max(avg_premium, -0.0075), 0.0075)
        if self.venue is Venue.HYPERLIQUID:
            eight_hour = avg_premium + min(max(0.0001 - avg_premium, -0.0005), 0.0005)
            return min(max(eight_hour / 8.0, -0.04), 0.04)
        scale = self.interval_s / (8 * 3600.0)
        interest = 0.0001 * scale
        rate = avg_premium + min(max(interest - avg_premium, -0.0005), 0.0005)
        return min(max(rate, -0.0075), 0.0075)

    def step(self) -> None:
        z = self._rng.gauss()
        self.premium = (
            self._mean + self._phi * (self.premium - self._mean) + self._sd * math.sqrt(1.0 - self._phi * self._phi) * z
        )
        self.index = self._quantize(self.path.price)
        self.mark = self._quantize(self.path.price * (1.0 + self.premium))
        self._premium_area += self.premium * self._dt
        self._premium_time += self._dt
        self.funding_rate = self._rate(self._premium_area / self._premium_time)

    def settle(self, sim_time: float) -> FundingSettlement:
        settled = FundingSettlement(self.venue, self.symbol, self.funding_rate, self.mark, self.index, sim_time)
        self.last_settled_rate = self.funding_rate
        self._premium_area = 0.0
        self._premium_time = 0.0
        return settled


class Market:
    """All paths and all perpetuals, stepped together."""

    def __init__(self, scenario: Scenario, seed: int) -> None:
        self.scenario = scenario
        self.seed = seed
        self.step_seconds = scenario.emulator.step_seconds
        self.start_epoch = scenario.emulator.start_time.timestamp()
        self.elapsed = 0.0
        self.steps = 0
        self.paths = {p.name: PricePath(p, seed, self.step_seconds) for p in scenario.paths}
        self.binance: dict[str, SimMarket] = {}
        self.hyperliquid: dict[str, SimMarket] = {}
        self.binance_specs: dict[str, BinanceMarketSpec] = {}
        self.hyperliquid_specs: dict[str, HyperliquidMarketSpec] = {}
        self.bybit: dict[str, SimMarket] = {}
        self.bybit_specs: dict[str, BybitMarketSpec] = {}
        self.okx: dict[str, SimMarket] = {}
        self.okx_specs: dict[str, OkxMarketSpec] = {}
        for bm in scenario.binance.markets:
            self.binance_specs[bm.symbol] = bm
            self.binance[bm.symbol] = SimMarket(
                Venue.BINANCE,
                bm.symbol,
                self.paths[bm.path],
                bm.tier_table(),
                interval_s=bm.funding_interval_hours * 3600.0,
                premium_bps=bm.premium_bps,
                premium_noise_bps=bm.premium_noise_bps,
                seed=seed,
                step_seconds=self.step_seconds,
                price_decimals=bm.price_decimals,
            )
        for hm in scenario.hyperliquid.markets:
            self.hyperliquid_specs[hm.coin] = hm
            self.hyperliquid[hm.coin] = SimMarket(
                Venue.HYPERLIQUID,
                hm.coin,
                self.paths[hm.path],
                hm.tier_table(),
                interval_s=3600.0,
                premium_bps=hm.premium_bps,
                premium_noise_bps=hm.premium_noise_bps,
                seed=seed,
                step_seconds=self.step_seconds,
                price_decimals=6 - hm.sz_decimals,
            )

        for ym in scenario.bybit.markets:
            self.bybit_specs[ym.symbol] = ym
            self.bybit[ym.symbol] = SimMarket(
                Venue.BYBIT,
                ym.symbol,
                self.paths[ym.path],
                ym.tier_table(),
                interval_s=ym.funding_interval_hours * 3600.0,
                premium_bps=ym.premium_bps,
                premium_noise_bps=ym.premium_noise_bps,
                seed=seed,
                step_seconds=self.step_seconds,
                price_decimals=ym.price_decimals,
            )

        for om in scenario.okx.markets:
            self.okx_specs[om.inst_id] = om
            self.okx[om.inst_id] = SimMarket(
                Venue.OKX,
                om.inst_id,
                self.paths[om.path],
                om.tier_table(),  # bounded in contracts, not notional (OKX position tiers)
                interval_s=om.funding_interval_hours * 3600.0,
                premium_bps=om.premium_bps,
                premium_noise_bps=om.premium_noise_bps,
                seed=seed,
                step_seconds=self.step_seconds,
                price_decimals=om.tick_decimals,
            )

    @property
    def sim_time(self) -> float:
        """Epoch seconds on the simulated clock."""
        return self.start_epoch + self.elapsed

    def venue(self, venue: Venue) -> dict[str, SimMarket]:
        if venue is Venue.BYBIT:
            return self.bybit
        if venue is Venue.OKX:
            return self.okx
        return self.binance if venue is Venue.BINANCE else self.hyperliquid

    def all_markets(self) -> list[SimMarket]:
        return [*self.binance.values(), *self.hyperliquid.values(), *self.bybit.values(), *self.okx.values()]

    def next_funding_sim_time(self, market: SimMarket) -> float:
        return (math.floor(self.sim_time / market.interval_s + 1e-9) + 1) * market.interval_s

    def step(self) -> list[FundingSettlement]:
        before = self.sim_time
        for path in self.paths.values():
            path.step()
        self.elapsed += self.step_seconds
        self.steps += 1
        after = self.sim_time
        settled: list[FundingSettlement] = []
        for market in self.all_markets():
            market.step()
            if math.floor(after / market.interval_s + 1e-9) > math.floor(before / market.interval_s + 1e-9):
                boundary = math.floor(after / market.interval_s + 1e-9) * market.interval_s
                settled.append(market.settle(boundary))
        return settled
