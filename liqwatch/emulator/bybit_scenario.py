"""The ``[bybit]`` part of a scenario: linear USDT perpetuals and unified trading accounts (UTA).

Kept apart from ``scenario`` (which only names these types) so that the Bybit schema is one file. The schema
is strict, as the rest of the scenario is: unknown keys are errors, and no error echoes a secret.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from liqwatch.tiers import TierTable

# Bybit issues 18-character keys and 36-character secrets; any letters or digits are accepted here.
_BYBIT_KEY = re.compile(r"^[A-Za-z0-9]{10,64}$")

#: A BTCUSDT-like risk-limit table (riskId 1..5): cap of the position value, MMR, max leverage.
DEFAULT_BYBIT_TIERS: tuple[tuple[float, float, float], ...] = (
    (2_000_000.0, 0.005, 100.0),
    (4_000_000.0, 0.0055, 80.0),
    (6_000_000.0, 0.006, 70.0),
    (8_000_000.0, 0.0065, 60.0),
    (10_000_000.0, 0.007, 50.0),
)
#: Bybit's base-tier (VIP 0) derivatives taker rate: the estimated fee to close of a UTA is figured with it.
DEFAULT_TAKER_FEE = 0.00055


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BybitTierSpec(_Strict):
    """One risk-limit tier: ``risk_limit_value`` is its cap on the position value (Bybit ``riskLimitValue``)."""

    risk_limit_value: float = Field(gt=0)
    mmr: float = Field(gt=0, lt=1)
    max_leverage: float = Field(gt=0)


class BybitMarketSpec(_Strict):
    symbol: str = Field(pattern=r"^[A-Z0-9]{2,20}USDT$")
    path: str
    tick_size: float = Field(default=0.1, gt=0)
    qty_step: float = Field(default=0.001, gt=0)
    funding_interval_hours: int = Field(default=8, ge=1, le=8)
    premium_bps: float = 0.5
    premium_noise_bps: float = Field(default=2.0, ge=0)
    tiers: tuple[BybitTierSpec, ...] = ()

    @property
    def base_coin(self) -> str:
        return self.symbol.removesuffix("USDT")

    @property
    def min_price(self) -> float:
        """instruments-info ``priceFilter.minPrice``: one tick, as Bybit's (XRPUSDT: 0.0001)."""
        return self.tick_size

    @property
    def max_price(self) -> float:
        """``priceFilter.maxPrice``: BTCUSDT's documented figure, for every symbol here."""
        return 1999999.80

    @property
    def price_decimals(self) -> int:
        return max(0, -math.floor(math.log10(self.tick_size) + 1e-9))

    def tier_rows(self) -> list[tuple[float, float, float, float]]:
        """(floor, cap, mmr, max leverage) in ascending order; the last tier's cap stays finite, as Bybit's."""
        caps = (
            [(c, m, lev) for c, m, lev in DEFAULT_BYBIT_TIERS]
            if not self.tiers
            else sorted((t.risk_limit_value, t.mmr, t.max_leverage) for t in self.tiers)
        )
        rows: list[tuple[float, float, float, float]] = []
        floor = 0.0
        for cap, mmr, lev in caps:
            rows.append((floor, cap, mmr, lev))
            floor = cap
        return rows

    def tier_table(self) -> TierTable:
        rows = self.tier_rows()
        # The top tier extends past its cap in the table: a position is never without a tier.
        built = [(f, c if i + 1 < len(rows) else math.inf, m, None) for i, (f, c, m, _) in enumerate(rows)]
        return TierTable.build(built, max_leverages=[lev for *_, lev in rows])


class BybitPositionSpec(_Strict):
    symbol: str
    side: Literal["long", "short"]
    size: float = Field(gt=0)
    entry: float = Field(gt=0)
    margin: Literal["cross", "isolated"] = "cross"
    #: An isolated position's margin (Bybit ``positionBalance``: initial margin, fee to close and any extra).
    position_margin: float | None = Field(default=None, gt=0)
    leverage: float = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _isolated(self) -> BybitPositionSpec:
        if self.margin == "isolated" and self.position_margin is None:
            raise ValueError("an isolated position needs position_margin")
        if self.margin == "cross" and self.position_margin is not None:
            raise ValueError("position_margin is only for isolated positions")
        return self


class BybitCollateralSpec(_Strict):
    """A non-USDT coin held as collateral, valued at the index of ``path`` times its collateral ratio."""

    coin: str = Field(pattern=r"^[A-Z0-9]{2,10}$")
    amount: float = Field(gt=0)
    path: str
    collateral_ratio: float = Field(default=0.95, gt=0, le=1)


class BybitAccountSpec(_Strict):
    name: str = Field(min_length=1)
    api_key: str
    secret: str = Field(min_length=8)
    #: The USDT wallet of the cross margin, isolated margins not included; negative = a USDT borrow.
    usdt_wallet: float
    collateral: tuple[BybitCollateralSpec, ...] = ()
    hourly_borrow_rate: float = Field(default=0.0000025, ge=0, lt=0.01)
    taker_fee_rate: float = Field(default=DEFAULT_TAKER_FEE, ge=0, lt=0.01)
    read_only: bool = True
    ip_bound: bool = True
    positions: tuple[BybitPositionSpec, ...] = ()

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _BYBIT_KEY.match(value):
            raise ValueError("api_key must be 10 to 64 letters or digits")
        return value

    @property
    def isolated(self) -> bool:
        """UTA 2.0's margin mode is the account's (account/info ``marginMode``), not a position's."""
        return any(p.margin == "isolated" for p in self.positions)

    @model_validator(mode="after")
    def _one_way(self) -> BybitAccountSpec:
        if len({p.margin for p in self.positions}) > 1:
            raise ValueError("a unified account's positions share one margin mode (cross or isolated)")
        symbols = [p.symbol for p in self.positions]
        for symbol in symbols:
            if symbols.count(symbol) > 1:
                raise ValueError(f"{symbol}: one position per symbol (one-way mode)")
        return self


class BybitSpec(_Strict):
    markets: tuple[BybitMarketSpec, ...] = ()
    accounts: tuple[BybitAccountSpec, ...] = ()

    def check_references(self, path_names: list[str]) -> None:
        """Every market on a known path, every position on a known market (ValueError naming the field)."""
        seen: set[str] = set()
        for i, m in enumerate(self.markets):
            if m.symbol in seen:
                raise ValueError(f"bybit.markets: duplicate symbol {m.symbol!r}")
            seen.add(m.symbol)
            if m.path not in path_names:
                raise ValueError(f"bybit.markets[{i}].path: no path named {m.path!r}")
        keys: set[str] = set()
        for i, a in enumerate(self.accounts):
            if a.api_key in keys:
                raise ValueError("bybit.accounts: duplicate api_key")
            keys.add(a.api_key)
            for j, c in enumerate(a.collateral):
                if c.path not in path_names:
                    raise ValueError(f"bybit.accounts[{i}].collateral[{j}].path: no path named {c.path!r}")
            for j, p in enumerate(a.positions):
                if p.symbol not in seen:
                    raise ValueError(f"bybit.accounts[{i}].positions[{j}].symbol: no market {p.symbol!r}")
