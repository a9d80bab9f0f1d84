"""Scenario files: the accounts, positions, tiers and price paths the emulator serves (TOML).

The schema is strict (unknown keys are errors) so that a typo in a scenario fails loudly instead of
silently running a different market. Errors name the offending field and never echo a secret.
"""

from __future__ import annotations

import math
import re
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from liqwatch.emulator.bybit_scenario import BybitSpec
from liqwatch.emulator.okx_scenario import OkxSpec
from liqwatch.tiers import TierTable, TierTableError

_API_KEY = re.compile(r"^[A-Za-z0-9]{64}$")
_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")

# Binance's 2024 BTCUSDT bracket table (first tiers), used when a market gives none.
DEFAULT_BINANCE_TIERS: tuple[tuple[float, float, float, float], ...] = (
    (0.0, 50_000.0, 0.004, 125.0),
    (50_000.0, 600_000.0, 0.005, 100.0),
    (600_000.0, 3_000_000.0, 0.0065, 75.0),
    (3_000_000.0, 12_000_000.0, 0.01, 50.0),
    (12_000_000.0, 70_000_000.0, 0.02, 25.0),
    (70_000_000.0, 100_000_000.0, 0.025, 20.0),
    (100_000_000.0, 230_000_000.0, 0.05, 10.0),
    (230_000_000.0, 480_000_000.0, 0.10, 5.0),
)


class ScenarioError(ValueError):
    """A scenario that cannot be used; the message names the field."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PathSpec(_Strict):
    """One underlying price path (an index), shared by every market that names it."""

    name: str = Field(min_length=1)
    start: float = Field(gt=0)
    drift_per_hour: float = 0.0
    vol_per_sqrt_hour: float = Field(default=0.004, ge=0)
    regimes: tuple[float, ...] = (1.0,)
    regime_switch_per_hour: float = Field(default=0.0, ge=0)
    jump_per_hour: float = Field(default=0.0, ge=0)
    jump_size: float = Field(default=0.0, ge=0)
    waypoints: tuple[tuple[float, float], ...] = ()

    @field_validator("regimes")
    @classmethod
    def _regimes(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if not value or any(not (m > 0) for m in value):
            raise ValueError("regimes must be a non-empty list of positive volatility multipliers")
        return value

    @field_validator("waypoints")
    @classmethod
    def _waypoints(cls, value: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
        last = -math.inf
        for t, price in value:
            if not (t > 0) or not (price > 0):
                raise ValueError("waypoints are [seconds > 0, price > 0] pairs (the path starts at `start`)")
            if t <= last:
                raise ValueError("waypoint times must increase")
            last = t
        return value


class BinanceTierSpec(_Strict):
    floor: float = Field(ge=0)
    cap: float | None = None  # None: unbounded
    mmr: float = Field(ge=0, lt=1)
    max_leverage: float = Field(gt=0)
    cum: float | None = None  # None: Binance's recurrence


class BinanceMarketSpec(_Strict):
    symbol: str = Field(pattern=r"^[A-Z0-9]{2,20}USDT$")
    path: str
    price_decimals: int = Field(default=2, ge=0, le=8)
    qty_decimals: int = Field(default=3, ge=0, le=8)
    funding_interval_hours: int = Field(default=8, ge=1, le=8)
    premium_bps: float = 0.5
    premium_noise_bps: float = Field(default=2.0, ge=0)
    tiers: tuple[BinanceTierSpec, ...] = ()

    @property
    def base_asset(self) -> str:
        return self.symbol.removesuffix("USDT")

    def tier_rows(self) -> list[tuple[float, float, float, float | None, float]]:
        if not self.tiers:
            return [(f, c, m, None, lev) for f, c, m, lev in DEFAULT_BINANCE_TIERS]
        rows: list[tuple[float, float, float, float | None, float]] = []
        ordered = sorted(self.tiers, key=lambda t: t.floor)
        for i, tier in enumerate(ordered):
            cap = tier.cap
            if cap is None:
                cap = ordered[i + 1].floor if i + 1 < len(ordered) else math.inf
            rows.append((tier.floor, cap, tier.mmr, tier.cum, tier.max_leverage))
        return rows

    def tier_table(self) -> TierTable:
        rows = self.tier_rows()
        return TierTable.build([(f, c, m, cum) for f, c, m, cum, _ in rows], max_leverages=[lev for *_, lev in rows])


class HyperliquidTierSpec(_Strict):
    lower_bound: float = Field(ge=0)
    max_leverage: float = Field(gt=0)


class HyperliquidMarketSpec(_Strict):
    coin: str = Field(pattern=r"^[A-Z0-9]{1,20}$")
    path: str
    sz_decimals: int = Field(default=4, ge=0, le=6)
    max_leverage: int = Field(default=20, ge=1, le=100)
    tiers: tuple[HyperliquidTierSpec, ...] = ()
    premium_bps: float = 0.5
    premium_noise_bps: float = Field(default=2.0, ge=0)
    only_isolated: bool = False

    def tier_pairs(self) -> list[tuple[float, float]]:
        if not self.tiers:
            return [(0.0, float(self.max_leverage))]
        return sorted((t.lower_bound, t.max_leverage) for t in self.tiers)

    def tier_table(self) -> TierTable:
        # Hyperliquid: mmr = 1 / (2 * max leverage of the tier); deductions follow the recurrence.
        pairs = self.tier_pairs()
        rows: list[tuple[float, float, float, float | None]] = []
        for i, (low, lev) in enumerate(pairs):
            cap = pairs[i + 1][0] if i + 1 < len(pairs) else math.inf
            rows.append((low, cap, 1.0 / (2.0 * lev), None))
        return TierTable.build(rows, max_leverages=[lev for _, lev in pairs])


Side = Literal["long", "short"]
MarginKind = Literal["cross", "isolated"]


class BinancePositionSpec(_Strict):
    symbol: str
    side: Side
    size: float = Field(gt=0)
    entry: float = Field(gt=0)
    margin: MarginKind = "cross"
    isolated_wallet: float | None = Field(default=None, gt=0)
    leverage: int = Field(default=10, ge=1, le=125)

    @model_validator(mode="after")
    def _isolated(self) -> BinancePositionSpec:
        if self.margin == "isolated" and self.isolated_wallet is None:
            raise ValueError("an isolated position needs isolated_wallet")
        if self.margin == "cross" and self.isolated_wallet is not None:
            raise ValueError("isolated_wallet is only for isolated positions")
        return self


class BinanceAccountSpec(_Strict):
    name: str = Field(min_length=1)
    api_key: str
    secret: str = Field(min_length=8)
    position_mode: Literal["one-way", "hedge"] = "one-way"
    wallet: float = Field(ge=0)
    ip_restrict: bool = True
    enable_futures: bool = False
    enable_withdrawals: bool = False
    enable_spot_and_margin_trading: bool = False
    enable_internal_transfer: bool = False
    permits_universal_transfer: bool = False
    # Account modes liqwatch does not model: Multi-Assets mode (GET /fapi/v1/multiAssetsMargin says so), and
    # Portfolio Margin (the USDⓈ-M API answers -2015 to its keys; apiRestrictions names it).
    multi_assets_margin: bool = False
    portfolio_margin: bool = False
    positions: tuple[BinancePositionSpec, ...] = ()

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _API_KEY.match(value):
            raise ValueError("api_key must be 64 letters or digits, as Binance issues them")
        return value

    @model_validator(mode="after")
    def _legs(self) -> BinanceAccountSpec:
        seen: set[tuple[str, str]] = set()
        for p in self.positions:
            key = (p.symbol, p.side if self.position_mode == "hedge" else "both")
            if key in seen:
                what = "leg" if self.position_mode == "hedge" else "position (one-way mode)"
                raise ValueError(f"{p.symbol}: more than one {what}")
            seen.add(key)
        return self


class HyperliquidPositionSpec(_Strict):
    coin: str
    side: Side
    size: float = Field(gt=0)
    entry: float = Field(gt=0)
    margin: MarginKind = "cross"
    isolated_margin: float | None = Field(default=None, gt=0)
    leverage: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _isolated(self) -> HyperliquidPositionSpec:
        if self.margin == "isolated" and self.isolated_margin is None:
            raise ValueError("an isolated position needs isolated_margin")
        if self.margin == "cross" and self.isolated_margin is not None:
            raise ValueError("isolated_margin is only for isolated positions")
        return self


class HyperliquidAccountSpec(_Strict):
    name: str = Field(min_length=1)
    address: str
    balance: float = Field(ge=0)
    positions: tuple[HyperliquidPositionSpec, ...] = ()

    @field_validator("address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _ADDRESS.match(value):
            raise ValueError("address must be 0x followed by 40 hex digits")
        return value.lower()

    @model_validator(mode="after")
    def _one_way(self) -> HyperliquidAccountSpec:
        coins = [p.coin for p in self.positions]
        for coin in coins:
            if coins.count(coin) > 1:
                raise ValueError(f"{coin}: Hyperliquid positions are one-way, one per coin")
        return self


class BinanceSpec(_Strict):
    markets: tuple[BinanceMarketSpec, ...] = ()
    accounts: tuple[BinanceAccountSpec, ...] = ()


class HyperliquidSpec(_Strict):
    markets: tuple[HyperliquidMarketSpec, ...] = ()
    accounts: tuple[HyperliquidAccountSpec, ...] = ()


class EmulatorSpec(_Strict):
    step_seconds: float = Field(default=1.0, gt=0, le=60)
    # Simulated start; funding boundaries are whole multiples of the interval on this clock.
    start_time: datetime = datetime(2026, 1, 1, tzinfo=UTC)

    @field_validator("start_time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("start_time needs a timezone (e.g. 2026-01-01T00:00:00Z)")
        return value.astimezone(UTC)


class Scenario(_Strict):
    name: str = "scenario"
    description: str = ""
    emulator: EmulatorSpec = EmulatorSpec()
    paths: tuple[PathSpec, ...] = ()
    binance: BinanceSpec = BinanceSpec()
    hyperliquid: HyperliquidSpec = HyperliquidSpec()
    bybit: BybitSpec = BybitSpec()
    okx: OkxSpec = OkxSpec()

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        path_names = [p.name for p in self.paths]
        _unique(path_names, "paths", "name")
        _unique([m.symbol for m in self.binance.markets], "binance.markets", "symbol")
        _unique([m.coin for m in self.hyperliquid.markets], "hyperliquid.markets", "coin")
        names = [a.name for a in self.binance.accounts] + [a.name for a in self.hyperliquid.accounts]
        names += [a.name for a in self.bybit.accounts]
        self.bybit.check_references(path_names)
        names += [a.name for a in self.okx.accounts]
        self.okx.check(path_names)
        _unique(names, "accounts", "name")
        _unique([a.api_key for a in self.binance.accounts], "binance.accounts", "api_key", echo=False)
        _unique([a.address for a in self.hyperliquid.accounts], "hyperliquid.accounts", "address")
        for i, bm in enumerate(self.binance.markets):
            if bm.path not in path_names:
                raise ValueError(f"binance.markets[{i}].path: no path named {bm.path!r}")
            try:
                bm.tier_table()
            except TierTableError as exc:
                raise ValueError(f"binance.markets[{i}] ({bm.symbol}): {exc}") from None
        for i, hm in enumerate(self.hyperliquid.markets):
            if hm.path not in path_names:
                raise ValueError(f"hyperliquid.markets[{i}].path: no path named {hm.path!r}")
            try:
                hm.tier_table()
            except TierTableError as exc:
                raise ValueError(f"hyperliquid.markets[{i}] ({hm.coin}): {exc}") from None
        symbols = {m.symbol for m in self.binance.markets}
        for i, ba in enumerate(self.binance.accounts):
            for j, bp in enumerate(ba.positions):
                if bp.symbol not in symbols:
                    raise ValueError(f"binance.accounts[{i}].positions[{j}].symbol: no market {bp.symbol!r}")
        hl_markets = {m.coin: m for m in self.hyperliquid.markets}
        for i, ha in enumerate(self.hyperliquid.accounts):
            for j, hp in enumerate(ha.positions):
                where = f"hyperliquid.accounts[{i}].positions[{j}]"
                market = hl_markets.get(hp.coin)
                if market is None:
                    raise ValueError(f"{where}.coin: no market {hp.coin!r}")
                if hp.leverage > market.max_leverage:
                    raise ValueError(f"{where}.leverage: above the market's max_leverage {market.max_leverage}")
                if market.only_isolated and hp.margin != "isolated":
                    raise ValueError(f"{where}.margin: {hp.coin} is isolated-only")
        return self

    def path(self, name: str) -> PathSpec:
        for p in self.paths:
            if p.name == name:
                return p
        raise KeyError(name)


def _unique(values: list[str], where: str, field: str, *, echo: bool = True) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            shown = f" {value!r}" if echo else ""
            raise ValueError(f"{where}: duplicate {field}{shown}")
        seen.add(value)


def scenario_from_dict(data: dict[str, object], *, source: str = "scenario") -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(f"{source}: {_describe(exc)}") from None


def scenario_from_toml(text: str, *, source: str = "scenario") -> Scenario:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: not valid TOML: {exc}") from None
    return scenario_from_dict(data, source=source)


def load_scenario(path: str | Path) -> Scenario:
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{file}: cannot read the scenario ({exc.strerror or exc})") from None
    return scenario_from_toml(text, source=str(file))


def _describe(exc: ValidationError) -> str:
    parts: list[str] = []
    for err in exc.errors(include_input=False, include_url=False):
        loc = ".".join(f"[{p}]" if isinstance(p, int) else str(p) for p in err["loc"]).replace(".[", "[")
        msg = str(err["msg"]).removeprefix("Value error, ")
        parts.append(f"{loc}: {msg}" if loc else msg)
    return "; ".join(parts)
