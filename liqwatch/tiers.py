"""Maintenance-margin tier (bracket) tables.

A tier applies to notionals in ``[floor, cap)``; past the last cap the last tier still applies. The
maintenance amount (Binance ``cum``, Bybit and Hyperliquid "deduction") makes the tiered margin continuous:
``amount_n = amount_{n-1} + floor_n * (mmr_n - mmr_{n-1})``. OKX applies the tier rate to the whole
notional, so its amounts are zero.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass


class TierTableError(ValueError):
    """A tier table that cannot be used; the message names the offending tier."""


@dataclass(frozen=True, slots=True)
class Tier:
    floor: float
    cap: float
    mmr: float
    maint_amount: float
    max_leverage: float | None = None


@dataclass(frozen=True, slots=True)
class TierTable:
    tiers: tuple[Tier, ...]
    floors: tuple[float, ...]

    @classmethod
    def build(
        cls,
        rows: Sequence[tuple[float, float, float, float | None]],
        *,
        recurrence: bool = True,
        max_leverages: Sequence[float | None] | None = None,
    ) -> TierTable:
        """Rows are ``(floor, cap, mmr, maint_amount or None)``, in any order.

        A missing amount follows the recurrence when ``recurrence`` is set, else it is 0.
        """
        if not rows:
            raise TierTableError("tiers: at least one tier is needed")
        indexed = sorted(enumerate(rows), key=lambda r: r[1][0])
        tiers: list[Tier] = []
        prev: Tier | None = None
        for position, (orig_index, (floor, cap, mmr, amount)) in enumerate(indexed):
            where = f"tiers[{orig_index}]"
            if not (floor >= 0):
                raise TierTableError(f"{where}.floor must be >= 0")
            if not (cap > floor):
                raise TierTableError(f"{where}.cap must be greater than its floor")
            if not (0 <= mmr < 1):
                raise TierTableError(f"{where}.mmr must be in [0, 1)")
            if position == 0 and floor != 0:
                raise TierTableError(f"{where}: the first tier must start at floor 0")
            if prev is not None and floor != prev.cap:
                kind = "gap" if floor > prev.cap else "overlap"
                raise TierTableError(
                    f"{where}: {kind} between tiers (previous cap {prev.cap:g}, this floor {floor:g})"
                )
            if amount is None:
                recur = recurrence and prev is not None
                amount = prev.maint_amount + floor * (mmr - prev.mmr) if prev is not None and recur else 0.0
            lev = max_leverages[orig_index] if max_leverages is not None else None
            tier = Tier(float(floor), float(cap), float(mmr), float(amount), lev)
            tiers.append(tier)
            prev = tier
        return cls(tuple(tiers), tuple(t.floor for t in tiers))

    @classmethod
    def flat(cls, mmr: float, maint_amount: float = 0.0) -> TierTable:
        """A single tier covering every notional."""
        return cls.build([(0.0, float("inf"), mmr, maint_amount)])

    def index_for(self, notional: float) -> int:
        """Index of the tier containing ``|notional|`` (floor inclusive, cap exclusive)."""
        i = bisect_right(self.floors, abs(notional)) - 1
        return max(i, 0)

    def tier_for(self, notional: float) -> Tier:
        return self.tiers[self.index_for(notional)]

    def maintenance_margin(self, notional: float) -> float:
        tier = self.tiers[self.index_for(notional)]
        return abs(notional) * tier.mmr - tier.maint_amount

    def next_tier(self, notional: float) -> Tier | None:
        i = self.index_for(notional) + 1
        return self.tiers[i] if i < len(self.tiers) else None

    @property
    def is_flat(self) -> bool:
        return len(self.tiers) == 1
