"""The OKX part of a scenario (``[okx]`` in TOML): USDT-margined swaps, currencies and accounts.

Kept apart from ``scenario`` so that the OKX schema is one file; ``Scenario`` holds an ``OkxSpec`` and calls
``check`` with its path names. OKX's own conventions are kept: position sizes are contracts of ``ct_val``
coins, position tiers are bounded in contracts (``public/position-tiers`` minSz/maxSz) and apply their rate to
the whole notional, collateral counts at OKX's tiered discount rates (``public/discount-rate-interest-free-
quota``) in a multi-currency account.
"""

from __future__ import annotations

import math
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from liqwatch.tiers import TierTable

# OKX API keys are UUIDs; secrets 32 upper-case hex digits (as OKX issues them).
_OKX_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
#: OKX's BTC-USDT-SWAP tiers (first rows, 2024): (max contracts, mmr, max leverage); contracts of 0.01 BTC.
DEFAULT_OKX_TIERS: tuple[tuple[float, float, float], ...] = (
    (50_000.0, 0.004, 100.0),
    (100_000.0, 0.006, 75.0),
    (200_000.0, 0.008, 50.0),
    (400_000.0, 0.01, 40.0),
    (math.inf, 0.015, 20.0),
)
#: OKX's regular-user taker fee for USDT-margined swaps (tier Lv1), the fee term of its margin ratio.
DEFAULT_TAKER = 0.0005


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OkxTierSpec(_Strict):
    max_contracts: float | None = None  # None: unbounded (the last tier)
    mmr: float = Field(ge=0, lt=1)
    max_leverage: float = Field(gt=0)


class OkxMarketSpec(_Strict):
    inst_id: str = Field(pattern=r"^[A-Z0-9]{2,20}-USDT-SWAP$")
    path: str
    ct_val: float = Field(default=0.01, gt=0)
    tick_decimals: int = Field(default=1, ge=0, le=8)
    lot_decimals: int = Field(default=2, ge=0, le=8)
    funding_interval_hours: int = Field(default=8, ge=1, le=8)
    premium_bps: float = 0.5
    premium_noise_bps: float = Field(default=2.0, ge=0)
    tiers: tuple[OkxTierSpec, ...] = ()

    @property
    def base_ccy(self) -> str:
        return self.inst_id.split("-")[0]

    def tier_rows(self) -> list[tuple[float, float, float, float]]:
        """(min contracts, max contracts, mmr, max leverage), in order."""
        specs = [(t.max_contracts if t.max_contracts is not None else math.inf, t.mmr, t.max_leverage)
                 for t in self.tiers] or list(DEFAULT_OKX_TIERS)
        specs.sort(key=lambda r: r[0])
        rows: list[tuple[float, float, float, float]] = []
        low = 0.0
        for cap, mmr, lev in specs:
            rows.append((low, cap, mmr, lev))
            low = cap
        return rows

    def tier_table(self) -> TierTable:
        """Tiers bounded in contracts, amounts 0 (OKX's rate is on the whole notional)."""
        rows = self.tier_rows()
        return TierTable.build([(lo, hi, m, 0.0) for lo, hi, m, _ in rows], max_leverages=[r[3] for r in rows])


class OkxDiscountTierSpec(_Strict):
    floor_usd: float = Field(ge=0)
    rate: float = Field(ge=0, le=1)


class OkxCurrencySpec(_Strict):
    """A currency an account may hold: its USD price follows ``path`` (None: USDT, priced 1)."""

    ccy: str = Field(pattern=r"^[A-Z0-9]{2,10}$")
    path: str | None = None
    #: OKX's tiered discount rates, each on the part of the USD value from its floor up.
    discount: tuple[OkxDiscountTierSpec, ...] = (OkxDiscountTierSpec(floor_usd=0.0, rate=1.0),)
    #: The hourly borrow rate of the currency (``account/interest-rate``).
    hourly_interest: float = Field(default=0.00000417, ge=0, lt=0.01)

    def haircut_table(self) -> TierTable:
        """The discount as a tier table of haircuts: haircut(value) = value - discounted value.

        Tiered like maintenance margin (each rate on its part of the value), so the recurrence of the
        amounts gives the progressive sum exactly."""
        tiers = sorted(self.discount, key=lambda t: t.floor_usd)
        rows: list[tuple[float, float, float, float | None]] = []
        for i, t in enumerate(tiers):
            cap = tiers[i + 1].floor_usd if i + 1 < len(tiers) else math.inf
            rows.append((t.floor_usd, cap, 1.0 - t.rate, None))
        return TierTable.build(rows)


class OkxPositionSpec(_Strict):
    inst_id: str
    side: Literal["long", "short"]
    contracts: float = Field(gt=0)
    entry: float = Field(gt=0)
    margin: Literal["cross", "isolated"] = "cross"
    isolated_margin: float | None = Field(default=None, gt=0)
    leverage: int = Field(default=10, ge=1, le=125)

    @model_validator(mode="after")
    def _isolated(self) -> OkxPositionSpec:
        if self.margin == "isolated" and self.isolated_margin is None:
            raise ValueError("an isolated position needs isolated_margin")
        if self.margin == "cross" and self.isolated_margin is not None:
            raise ValueError("isolated_margin is only for isolated positions")
        return self


class OkxAccountSpec(_Strict):
    name: str = Field(min_length=1)
    api_key: str
    secret: str = Field(min_length=8)
    passphrase: str = Field(min_length=1)
    #: OKX acctLv 2 (single-currency margin) or 3 (multi-currency margin).
    mode: Literal["single", "multi"] = "single"
    balances: dict[str, float] = Field(default_factory=lambda: {"USDT": 0.0})
    liabilities: dict[str, float] = Field(default_factory=dict)
    taker_fee: float = Field(default=DEFAULT_TAKER, ge=0, lt=0.01)
    #: ``account/config`` perm: "read_only", or with "trade" / "withdraw" (comma separated, as OKX prints it).
    perm: str = "read_only"
    ip: str = "127.0.0.1"
    positions: tuple[OkxPositionSpec, ...] = ()

    @field_validator("api_key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not _OKX_KEY.match(value):
            raise ValueError("api_key must be a UUID (8-4-4-4-12 lower-case hex), as OKX issues them")
        return value

    @model_validator(mode="after")
    def _shape(self) -> OkxAccountSpec:
        if any(v < 0 for v in self.balances.values()) or any(v < 0 for v in self.liabilities.values()):
            raise ValueError("balances and liabilities must be >= 0")
        if self.mode == "single" and self.liabilities:
            raise ValueError("only a multi-currency account borrows (liabilities)")
        if self.mode == "single" and set(self.balances) - {"USDT"}:
            raise ValueError("a single-currency account of USDT swaps holds USDT only")
        seen: set[str] = set()
        for p in self.positions:
            if p.inst_id in seen:  # net mode: one position per instrument
                raise ValueError(f"{p.inst_id}: more than one position (net mode)")
            seen.add(p.inst_id)
        return self


class OkxSpec(_Strict):
    markets: tuple[OkxMarketSpec, ...] = ()
    currencies: tuple[OkxCurrencySpec, ...] = (OkxCurrencySpec(ccy="USDT"),)
    accounts: tuple[OkxAccountSpec, ...] = ()

    def currency(self, ccy: str) -> OkxCurrencySpec:
        for c in self.currencies:
            if c.ccy == ccy:
                return c
        raise KeyError(ccy)

    def check(self, path_names: list[str]) -> None:
        """Cross-references, called by ``Scenario``; raises ValueError naming the field."""
        ids = [m.inst_id for m in self.markets]
        if len(set(ids)) != len(ids):
            raise ValueError("okx.markets: duplicate inst_id")
        ccys = [c.ccy for c in self.currencies]
        if len(set(ccys)) != len(ccys) or "USDT" not in ccys:
            raise ValueError("okx.currencies: each ccy once, USDT among them")
        keys = [a.api_key for a in self.accounts]
        if len(set(keys)) != len(keys):
            raise ValueError("okx.accounts: duplicate api_key")
        for i, m in enumerate(self.markets):
            if m.path not in path_names:
                raise ValueError(f"okx.markets[{i}].path: no path named {m.path!r}")
        for i, c in enumerate(self.currencies):
            if c.path is not None and c.path not in path_names:
                raise ValueError(f"okx.currencies[{i}].path: no path named {c.path!r}")
        for i, a in enumerate(self.accounts):
            for ccy in [*a.balances, *a.liabilities]:
                if ccy not in ccys:
                    raise ValueError(f"okx.accounts[{i}]: no currency {ccy!r} in okx.currencies")
            for j, p in enumerate(a.positions):
                if p.inst_id not in ids:
                    raise ValueError(f"okx.accounts[{i}].positions[{j}].inst_id: no market {p.inst_id!r}")
