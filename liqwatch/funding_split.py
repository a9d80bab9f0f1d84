"""Hedge-mode funding per leg: the exchange's income records of one settlement, split between the legs.

Binance's income records (``FUNDING_FEE``) name the symbol but not the position side, so a long and a short
leg of the same symbol cannot be told apart in them. Each leg's share is its own cash flow at the settlement
(size x the settlement's mark x its rate, signed by side: see ``funding_cashflow``); the legs' sum is then
reconciled with what the exchange booked. The shares handed on always add up to the exchange's total (the
rounding difference is spread over the legs in proportion to their size), so the account's funding stays the
exchange's own figure; a difference beyond rounding is reported for an incident.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from liqwatch.funding import funding_cashflow, payment_key
from liqwatch.model import FundingPayment, Side

#: Records of one symbol this close together belong to one settlement (Binance books each leg's record
#: within milliseconds of the funding time; settlements are an hour or more apart).
SETTLEMENT_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Leg:
    side: Side
    size: float


@dataclass(frozen=True, slots=True)
class SettledRate:
    """The exchange's settled funding of one symbol (Binance ``GET /fapi/v1/fundingRate``)."""

    symbol: str
    time: datetime
    rate: float
    mark: float


@dataclass(frozen=True, slots=True)
class Settlement:
    symbol: str
    time: datetime  # the earliest record's
    records: tuple[FundingPayment, ...]

    @property
    def total(self) -> float:
        return math.fsum(r.amount for r in self.records)

    @property
    def key(self) -> str:
        return "+".join(sorted(str(payment_key(r)) for r in self.records))


@dataclass(frozen=True, slots=True)
class Split:
    legs: tuple[FundingPayment, ...]  # one per open leg, side set; they add up to the records' total
    recorded: float  # the exchange's total for the settlement
    computed: float | None  # the sum of the legs' own cash flows; None when no rate was needed
    tolerance: float

    @property
    def difference(self) -> float:
        return 0.0 if self.computed is None else self.recorded - self.computed

    @property
    def reconciled(self) -> bool:
        return abs(self.difference) <= self.tolerance


def settlements(records: Iterable[FundingPayment]) -> list[Settlement]:
    """Group an income page into settlements: per symbol, records within SETTLEMENT_WINDOW of the first."""
    by_symbol: dict[str, list[FundingPayment]] = {}
    for r in records:
        by_symbol.setdefault(r.symbol, []).append(r)
    out: list[Settlement] = []
    for symbol, recs in by_symbol.items():
        recs.sort(key=lambda r: r.time)
        group: list[FundingPayment] = []
        for r in recs:
            if group and r.time - group[0].time > SETTLEMENT_WINDOW:
                out.append(Settlement(symbol, group[0].time, tuple(group)))
                group = []
            group.append(r)
        if group:
            out.append(Settlement(symbol, group[0].time, tuple(group)))
    out.sort(key=lambda s: (s.time, s.symbol))
    return out


def rate_for(settlement: Settlement, rates: Sequence[SettledRate]) -> SettledRate | None:
    """The settled rate of this settlement: the same symbol's funding time closest to the records'."""
    best: SettledRate | None = None
    for r in rates:
        if r.symbol != settlement.symbol:
            continue
        gap = abs((r.time - settlement.time).total_seconds())
        if gap <= SETTLEMENT_WINDOW.total_seconds() * 5 and (
                best is None or gap < abs((best.time - settlement.time).total_seconds())):
            best = r
    return best


def tolerance(records: int, notional: float) -> float:
    """What rounding can explain: each record is booked to 1e-8, and the published rate carries 8 decimals
    (half a unit of 1e-8 on the notional)."""
    return 1e-8 * max(1, records) + 5e-9 * notional + 1e-9


def split(settlement: Settlement, legs: Sequence[Leg], rate: SettledRate | None) -> Split | None:
    """Each open leg's share of one settlement; None when two legs are open and the rate is not known yet."""
    total = settlement.total
    legs = [leg for leg in legs if leg.size > 0]
    if not legs:
        return Split((), total, None, 0.0)
    if rate is None:
        if len(legs) > 1:
            return None  # the legs cannot be told apart without the settlement's rate and mark
        only = legs[0]
        return Split((_share(settlement, only.side, total, None),), total, None, 0.0)
    own = [funding_cashflow(leg.side, leg.size, rate.mark, rate.rate) for leg in legs]
    computed = math.fsum(own)
    diff = total - computed
    weights = [leg.size for leg in legs]
    spread = [diff * w / math.fsum(weights) for w in weights]
    shares = tuple(_share(settlement, leg.side, c + d, rate.rate) for leg, c, d in zip(legs, own, spread, strict=True))
    notional = math.fsum(leg.size * rate.mark for leg in legs)
    return Split(shares, total, computed, tolerance(len(settlement.records), notional))


def _share(settlement: Settlement, side: Side, amount: float, rate: float | None) -> FundingPayment:
    return FundingPayment(settlement.symbol, amount, settlement.time, rate=rate,
                          payment_id=f"{settlement.key}:{side.value}", side=side)
