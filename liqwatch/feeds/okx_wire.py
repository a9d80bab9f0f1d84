"""OKX v5 wire readers: the ``data`` of an answer or a push into plain records, apart from domain objects.

OKX sends numbers as strings ("" for none), sizes of swaps in contracts of ``ctVal`` coins, position tiers
bounded in contracts (``public/position-tiers`` minSz/maxSz) with the rate on the whole notional, and
``mgnRatio`` as equity / (maintenance margin + fees) (liquidation at <= 1, the inverse of Binance's).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liqwatch.feeds.wire import (
    CandleClose,
    WireError,
    candle_close,
    implausible_mark,
    ms_time,
    num,
    opt_ms_time,
    opt_num,
    plausible_break_even,
    plausible_notional,
    text,
)
from liqwatch.model import Exchange, FundingPayment, MarginMode, MarkTick, Side, Stamp
from liqwatch.symbols import to_unified

Problems = list[tuple[Any, str]]


def data_of(body: Any, what: str) -> list[Any]:
    """The ``data`` list of an OKX answer (errors were decoded before: ``okx_errors``)."""
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise WireError(f"{what}: expected {{code, msg, data: [...]}}")
    return list(body["data"])


def unified(inst_id: str) -> str:
    """BTC-USDT-SWAP -> BTC/USDT:USDT."""
    try:
        return to_unified(Exchange.OKX, inst_id)
    except ValueError:
        raise WireError(f"instId {inst_id!r} is not a USDT swap") from None


def inst_id_of(symbol: str) -> str:
    """BTC/USDT:USDT -> BTC-USDT-SWAP."""
    base, rest = symbol.split("/", 1)
    return f"{base}-{rest.split(':', 1)[0]}-SWAP"


@dataclass(frozen=True, slots=True)
class Instrument:
    inst_id: str
    family: str  # instFamily, as position-tiers asks for it
    ct_val: float


def parse_instruments(rows: list[Any], bad: Problems) -> dict[str, Instrument]:
    out: dict[str, Instrument] = {}
    for row in rows:
        try:
            inst_id = text(row, "instId")
            if row.get("ctType") not in ("linear", None) or row.get("settleCcy", "USDT") != "USDT":
                continue  # inverse and coin-settled swaps are not modelled
            ct_val = num(row, "ctVal")
            if not ct_val > 0:
                raise WireError("ctVal is not > 0")
            family = str(row.get("instFamily") or row.get("uly") or inst_id.removesuffix("-SWAP"))
            out[unified(inst_id)] = Instrument(inst_id, family, ct_val)
        except WireError as exc:
            bad.append((row, f"instrument: {exc}"))
    return out


@dataclass(frozen=True, slots=True)
class TierRow:
    min_contracts: float
    max_contracts: float
    mmr: float
    max_leverage: float | None


def parse_position_tiers(rows: list[Any]) -> dict[str, list[TierRow]]:
    """instFamily -> its tiers in order. A row that cannot be read makes the table unusable (WireError):
    a tier table with a hole would give a wrong maintenance margin."""
    out: dict[str, list[TierRow]] = {}
    for row in rows:
        family = str(row.get("instFamily") or row.get("uly") or "") if isinstance(row, dict) else ""
        if not family:
            raise WireError("position-tiers: a row without instFamily")
        high = opt_num(row, "maxSz")
        out.setdefault(family, []).append(TierRow(
            num(row, "minSz"), high if high is not None else math.inf, num(row, "mmr"), opt_num(row, "maxLever")))
    for tiers in out.values():
        tiers.sort(key=lambda t: t.min_contracts)
    return out


def mmr_for(tiers: list[TierRow], contracts: float) -> float:
    """The tier rate of a position of ``contracts`` (OKX's tiers are by size, not notional)."""
    size = abs(contracts)
    return next((t.mmr for t in tiers if size <= t.max_contracts), tiers[-1].mmr)  # maxSz inclusive


@dataclass(frozen=True, slots=True)
class AccountConfig:
    acct_lv: str
    perm: str
    ip: str
    pos_mode: str


def parse_config(rows: list[Any]) -> AccountConfig:
    if not rows or not isinstance(rows[0], dict):
        raise WireError("account/config: no row")
    row = rows[0]
    return AccountConfig(text(row, "acctLv"), text(row, "perm"), str(row.get("ip") or ""),
                         str(row.get("posMode") or ""))


@dataclass(frozen=True, slots=True)
class CurrencyRow:
    ccy: str
    cash: float
    eq: float
    eq_usd: float | None
    liab: float  # borrowed (multi-currency), 0 where none
    interest: float  # accrued, not yet deducted


@dataclass(frozen=True, slots=True)
class Balance:
    total_eq: float
    adj_eq: float | None  # multi-currency margin only
    mgn_ratio: float | None
    mmr: float | None
    time: datetime | None
    currencies: tuple[CurrencyRow, ...]

    def currency(self, ccy: str) -> CurrencyRow | None:
        return next((c for c in self.currencies if c.ccy == ccy), None)


def parse_balance(rows: list[Any]) -> Balance:
    if not rows or not isinstance(rows[0], dict):
        raise WireError("account/balance: no row")
    row = rows[0]
    details = row.get("details")
    if not isinstance(details, list):
        raise WireError("account/balance: no details")
    currencies = tuple(
        CurrencyRow(text(d, "ccy"), opt_num(d, "cashBal") or 0.0, opt_num(d, "eq") or 0.0, opt_num(d, "eqUsd"),
                    opt_num(d, "liab") or 0.0, opt_num(d, "interest") or 0.0)
        for d in details)
    return Balance(num(row, "totalEq"), opt_num(row, "adjEq"), opt_num(row, "mgnRatio"), opt_num(row, "mmr"),
                   opt_ms_time(row, "uTime"), currencies)


@dataclass(frozen=True, slots=True)
class WirePosition:
    symbol: str
    inst_id: str
    contracts: float  # signed (net mode)
    entry_price: float
    margin_mode: MarginMode
    isolated_margin: float | None
    leverage: float | None
    mark_price: float | None
    liquidation_price: float | None
    mgn_ratio: float | None  # OKX's own, equity / (MM + fees)
    upl: float
    break_even_price: float | None
    time: datetime | None
    hedge: bool = False  # long/short mode (posSide long or short), not net


    @property
    def side(self) -> Side:
        return Side.LONG if self.contracts > 0 else Side.SHORT


def parse_position(row: Any) -> WirePosition | None:
    """One ``account/positions`` row; None for a flat one (pos "0")."""
    inst_id = text(row, "instId")
    if row.get("instType") not in ("SWAP", None):
        return None
    if isinstance(row.get("pos"), bool):  # JSON true is no count of contracts (float(True) is 1)
        raise WireError("field 'pos' is not a number")
    contracts = num(row, "pos")
    if contracts == 0:
        return None
    pos_side = row.get("posSide")
    if pos_side in ("long", "short"):  # long/short mode: pos is the leg's size, its side is posSide
        contracts = abs(contracts) * (1.0 if pos_side == "long" else -1.0)
    elif pos_side not in ("net", None, ""):
        raise WireError(f"posSide {pos_side!r}")
    mode = {"cross": MarginMode.CROSS, "isolated": MarginMode.ISOLATED}.get(str(row.get("mgnMode")))
    if mode is None:
        raise WireError(f"mgnMode {row.get('mgnMode')!r}")
    entry = num(row, "avgPx")
    plausible_notional(contracts, entry, inst_id)
    mark = opt_num(row, "markPx")
    if mark is not None and (why := implausible_mark(mark, None)) is not None:
        raise WireError(f"{inst_id} markPx: {why}")
    break_even = opt_num(row, "bePx") or None  # "0", as Binance's, is no break-even
    if break_even is not None:
        plausible_break_even(break_even, entry, f"{inst_id} bePx")
    return WirePosition(
        unified(inst_id), inst_id, contracts, entry, mode,
        opt_num(row, "margin") if mode is MarginMode.ISOLATED else None, opt_num(row, "lever"),
        mark, opt_num(row, "liqPx"), opt_num(row, "mgnRatio"), opt_num(row, "upl") or 0.0,
        break_even, opt_ms_time(row, "uTime"), hedge=pos_side in ("long", "short"))


def settles_in_usdt(w: WirePosition) -> bool:
    """A USDT-margined swap: its margin and uPnL are USDT. A coin-margined one's (``ETH-USD-SWAP``) are coins."""
    return w.inst_id.endswith("-USDT-SWAP")


def usdt_equity(balance: Balance, wires: list[WirePosition]) -> tuple[float, float, float]:
    """(cross equity, cross uPnL, isolated equity) in USDT: the cross equity is ``adjEq`` if sent, else USDT's
    ``eq`` less the isolated positions' margin and uPnL. Only USDT-margined positions count: a coin-margined
    one's margin and uPnL are in its coin (0.00039 ETH in OKX's documented push), never USDT."""
    usdt_wires = [w for w in wires if settles_in_usdt(w)]
    cross_upl = sum(w.upl for w in usdt_wires if w.margin_mode is MarginMode.CROSS)
    iso = sum((w.isolated_margin or 0.0) + w.upl for w in usdt_wires if w.margin_mode is MarginMode.ISOLATED)
    if balance.adj_eq is not None:
        return balance.adj_eq, cross_upl, iso
    usdt = balance.currency("USDT")
    return ((usdt.eq - iso) if usdt is not None else 0.0), cross_upl, iso


def parse_positions(rows: list[Any], bad: Problems) -> list[WirePosition]:
    out: list[WirePosition] = []
    for row in rows:
        try:
            w = parse_position(row)
        except WireError as exc:
            bad.append((row, f"position: {exc}"))
            continue
        if w is not None:
            out.append(w)
    return out


def parse_mark(row: Any, receive: datetime) -> MarkTick:
    """A ``public/mark-price`` row or a ``mark-price`` push."""
    when = ms_time(row, "ts")
    return MarkTick(Exchange.OKX, unified(text(row, "instId")), num(row, "markPx"), Stamp(when, receive))


@dataclass(frozen=True, slots=True)
class FundingRow:
    symbol: str
    rate: float
    next_time: datetime  # fundingTime: the settlement of the current period


def parse_funding_rate(row: Any) -> FundingRow:
    return FundingRow(unified(text(row, "instId")), num(row, "fundingRate"), ms_time(row, "fundingTime"))


#: ``account/bills`` type 8: funding fee.
FUNDING_BILL = "8"


def parse_funding_bills(rows: list[Any], bad: Problems) -> list[FundingPayment]:
    out: list[FundingPayment] = []
    for row in rows:
        try:
            if str(row.get("type")) != FUNDING_BILL:
                continue
            out.append(FundingPayment(unified(text(row, "instId")), num(row, "balChg"), ms_time(row, "ts"),
                                      payment_id=text(row, "billId")))
        except (WireError, AttributeError) as exc:
            bad.append((row, f"bill: {exc}"))
    return out


def parse_mark_candles(rows: list[Any]) -> list[CandleClose]:
    """``market/mark-price-candles`` rows ``[ts, o, h, l, c, confirm]`` (newest first, strings) -> candles oldest
    first, the running one (confirm "0") included as Binance's is: the paging counts full pages, and the σ
    seeding (liqwatch.feeds.candles) asks for one candle more than it uses for that one."""
    out: list[CandleClose] = []
    for row in rows:
        if not isinstance(row, list) or len(row) < 5:
            raise WireError("mark-price-candles: a row is not [ts, o, h, l, c, confirm]")
        try:
            open_ms = int(str(row[0]))
        except ValueError:
            raise WireError("mark-price-candles: ts is not a time") from None
        out.append(candle_close(open_ms, str(row[4]), "mark-price-candles"))
    out.sort(key=lambda c: c.open_ms)
    return out
