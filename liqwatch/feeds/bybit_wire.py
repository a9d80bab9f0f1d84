"""Bybit v5 wire readers (linear USDT perpetuals, unified account): the ``result`` of each REST answer and the
websocket topics, read into plain wire records or domain values; nothing here holds state or does I/O.

Every number arrives as a string; an empty string means "none" (a UTA cross position's ``liqPrice``, and since
2023-07-31 any ``liqPrice`` outside the instrument's ``minPrice`` < p < ``maxPrice``; older answers printed the
bound itself, e.g. "0.0001", instead: ``exchange_liquidation`` reads that as none too).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from liqwatch.feeds.wire import (
    MARK_MOVE_LIMIT,
    WireError,
    implausible_mark,
    ms_time,
    num,
    opt_ms_time,
    opt_num,
    plausible_amount,
    plausible_break_even,
    plausible_notional,
    text,
)
from liqwatch.model import FundingPayment, MarginMode, MarkTick, Side, Stamp
from liqwatch.symbols import to_unified
from liqwatch.tiers import TierTable, TierTableError

EXCHANGE = "bybit"


def unified(native: str) -> str:
    if not native.endswith("USDT") or len(native) <= 4:
        raise WireError(f"{native!r} is not a linear USDT perpetual")
    return to_unified(EXCHANGE, native)


def native(symbol: str) -> str:
    """``BTC/USDT:USDT`` -> ``BTCUSDT``."""
    base, rest = symbol.split("/", 1)
    return base + rest.split(":", 1)[0]


def result_list(payload: Any, what: str) -> list[Any]:
    """``result.list`` of an answer (the envelope's retCode was checked by the error decoder)."""
    result = payload.get("result") if isinstance(payload, dict) else None
    rows = result.get("list") if isinstance(result, dict) else None
    if not isinstance(rows, list):
        raise WireError(f"{what}: no result.list")
    return rows


def result_of(payload: Any, what: str) -> dict[str, Any]:
    result = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(result, dict):
        raise WireError(f"{what}: no result object")
    return result


def server_time(payload: Any) -> datetime:
    result = result_of(payload, "market/time")
    nano = opt_num(result, "timeNano")
    if nano is not None:
        return datetime.fromtimestamp(nano / 1e9, tz=UTC)
    return datetime.fromtimestamp(num(result, "timeSecond"), tz=UTC)


#: How far a tier's ``initialMargin`` × ``maxLeverage`` may be from 1 (both are rounded on the wire).
_IM_LEVERAGE_TOLERANCE = 0.02


def parse_risk_limits(payload: Any, refused: dict[str, str] | None = None) -> dict[str, TierTable]:
    """``market/risk-limit``: per symbol its riskId tiers (cap ``riskLimitValue``, ``maintenanceMargin``,
    ``mmDeduction``; an empty deduction follows the tiers' recurrence).

    The rates are fractions, so a tier's ``initialMargin`` is 1 / ``maxLeverage``. A symbol with a tier where
    it is not (Bybit's documented example says initialMargin "1" beside maxLeverage "100.00": percent) has its
    rates in a unit we do not know: read as fractions, its "0.5" would be a 50 % maintenance margin rate. Such
    a symbol is left out (its positions listed, not evaluated) and why is put in ``refused``."""
    rows: dict[str, list[tuple[float, float, float | None, float]]] = {}
    units: dict[str, str] = {}
    for item in result_list(payload, "risk-limit"):
        sym = unified(text(item, "symbol"))
        im, lev = opt_num(item, "initialMargin"), num(item, "maxLeverage")
        if im is not None and lev > 0 and abs(im * lev - 1.0) > _IM_LEVERAGE_TOLERANCE:
            units.setdefault(sym, f"initialMargin {im:g} is not 1 / maxLeverage {lev:g} ({1 / lev:g}): "
                                  "rates in an unknown unit")
        rows.setdefault(sym, []).append((num(item, "riskLimitValue"), num(item, "maintenanceMargin"),
                                         opt_num(item, "mmDeduction"), lev))
    if refused is not None:
        refused.update(units)
    tables: dict[str, TierTable] = {}
    for sym, tiers in rows.items():
        if sym in units:
            continue
        tiers.sort()
        built: list[tuple[float, float, float, float | None]] = []
        floor = 0.0
        for i, (cap, mmr, deduction, _) in enumerate(tiers):
            # The top tier's cap is the most a position may hold; beyond it the table keeps the top tier.
            built.append((floor, cap if i + 1 < len(tiers) else math.inf, mmr, deduction))
            floor = cap
        try:
            tables[sym] = TierTable.build(built, max_leverages=[t[3] for t in tiers])
        except TierTableError as exc:
            raise WireError(f"risk-limit {sym}: {exc}") from None
    return tables


def _usdt_instruments(payload: Any) -> list[tuple[str, dict[str, Any]]]:
    """``market/instruments-info`` rows of USDT perpetuals, by unified symbol. Category ``linear`` also lists
    USDT futures and USDC contracts (``BTCPERP``, ``BTC-26DEC25``): not watched here, passed over."""
    out = []
    for item in result_list(payload, "instruments-info"):
        symbol = item.get("symbol") if isinstance(item, dict) else None
        if isinstance(symbol, str) and symbol.endswith("USDT") and len(symbol) > 4:
            out.append((unified(symbol), item))
    return out


def parse_funding_intervals(payload: Any, refused: dict[str, str] | None = None) -> dict[str, float]:
    """``market/instruments-info``: each symbol's ``fundingInterval`` (minutes) in hours. A row whose interval
    cannot be read gives that symbol none (why put in ``refused``), never a refusal of the whole answer."""
    out: dict[str, float] = {}
    for symbol, item in _usdt_instruments(payload):
        try:
            minutes = opt_num(item, "fundingInterval")
        except WireError as exc:
            _refuse(refused, symbol, f"fundingInterval: {exc}")
            continue
        if minutes is not None and minutes > 0:
            out[symbol] = minutes / 60.0
    return out


def _refuse(refused: dict[str, str] | None, symbol: str, why: str) -> None:
    if refused is not None:
        refused.setdefault(symbol, why)


@dataclass(frozen=True, slots=True)
class PriceBounds:
    """An instrument's ``priceFilter``: the lowest and highest price it can print (None: not sent)."""

    min_price: float | None
    max_price: float | None


def _bounds_of(item: dict[str, Any]) -> PriceBounds | None:
    """A row's ``priceFilter`` (None: none sent, or not an object). WireError: a bound that is no number, or a
    floor at or above the ceiling (no market prints between them: not Bybit's price filter)."""
    prices = item.get("priceFilter")
    if not isinstance(prices, dict):
        return None
    low, high = opt_num(prices, "minPrice"), opt_num(prices, "maxPrice")
    bounds = PriceBounds(low if low and low > 0 else None, high if high and high > 0 else None)
    if bounds.min_price is not None and bounds.max_price is not None and bounds.min_price >= bounds.max_price:
        raise WireError(f"minPrice {bounds.min_price:g} is not below maxPrice {bounds.max_price:g}")
    return bounds


def parse_price_bounds(payload: Any, refused: dict[str, str] | None = None) -> dict[str, PriceBounds]:
    """``market/instruments-info``: each symbol's ``priceFilter`` ``minPrice`` / ``maxPrice``. Any doubt
    gives the symbol no bounds (its liqPrice is then kept as sent, never read as none), with why in
    ``refused``: a bound that cannot be read, a floor not below the ceiling, or the symbol listed twice (two
    pages) with other bounds: which one is Bybit's is not known. The other symbols are read as ever."""
    out: dict[str, PriceBounds] = {}
    doubtful: set[str] = set()
    for symbol, item in _usdt_instruments(payload):
        try:
            bounds = _bounds_of(item)
        except WireError as exc:
            doubtful.add(symbol)
            _refuse(refused, symbol, f"priceFilter: {exc}")
            continue
        if bounds is None:  # no bounds known for it: its liqPrice is kept as sent
            continue
        if symbol in out and out[symbol] != bounds:
            doubtful.add(symbol)
            _refuse(refused, symbol, f"priceFilter listed twice, {out[symbol]} and {bounds}")
        out[symbol] = bounds
    return {s: b for s, b in out.items() if s not in doubtful}


def parse_fee_rates(payload: Any) -> dict[str, float]:
    return {unified(text(r, "symbol")): num(r, "takerFeeRate") for r in result_list(payload, "fee-rate")}


def margin_mode_of(payload: Any) -> tuple[MarginMode | None, str | None]:
    """``account/info`` ``marginMode``: the account's (UTA 2.0); portfolio margin is a mode not modelled."""
    mode = text(result_of(payload, "account/info"), "marginMode")
    if mode == "REGULAR_MARGIN":
        return MarginMode.CROSS, None
    if mode == "ISOLATED_MARGIN":
        return MarginMode.ISOLATED, None
    return None, f"Bybit {mode} (portfolio margin is not modelled)"


def ticker_tick(data: dict[str, Any], stamp: Stamp) -> MarkTick:
    """A ``market/tickers`` row, or a ``tickers.<symbol>`` snapshot merged with its deltas."""
    mark = num(data, "markPrice")
    if not mark > 0:
        raise WireError("markPrice is not > 0")
    return MarkTick(EXCHANGE, unified(text(data, "symbol")), mark, stamp, index_price=opt_num(data, "indexPrice"),
                    funding_rate=opt_num(data, "fundingRate"), next_funding_time=opt_ms_time(data, "nextFundingTime"))


@dataclass(frozen=True, slots=True)
class WirePosition:
    symbol: str
    side: Side | None  # None: no position (size 0)
    size: float
    entry_price: float
    leverage: float | None
    position_margin: float
    mark_price: float | None
    liquidation_price: float | None
    unrealised_pnl: float
    break_even: float | None
    updated: datetime | None


def parse_position(item: Any) -> WirePosition:
    if not isinstance(item, dict):
        raise WireError("position row is not an object")
    symbol = unified(text(item, "symbol"))
    size = num(item, "size")
    side = {"Buy": Side.LONG, "Sell": Side.SHORT}.get(str(item.get("side")))
    if size < 0 or (size > 0 and side is None):
        raise WireError(f"{symbol}: size {size:g} with side {item.get('side')!r}")
    # REST position/list says avgPrice, the private ``position`` topic entryPrice.
    entry = opt_num(item, "avgPrice") or opt_num(item, "entryPrice") or 0.0
    if size > 0:
        plausible_notional(size, entry, f"{symbol} position")
    mark = opt_num(item, "markPrice") or None
    if mark is not None:
        why = implausible_mark(mark, None)
        if why:
            raise WireError(f"{symbol} position: {why}")
    break_even = opt_num(item, "breakEvenPrice") or None  # "0" / "" on a row of no position
    if break_even is not None:
        plausible_break_even(break_even, entry, f"{symbol} breakEvenPrice")
    return WirePosition(
        symbol, side if size > 0 else None, size, entry, opt_num(item, "leverage"),
        opt_num(item, "positionBalance") or 0.0, mark,
        opt_num(item, "liqPrice") or None, opt_num(item, "unrealisedPnl") or 0.0,
        break_even, opt_ms_time(item, "updatedTime"),
    )


def exchange_liquidation(w: WirePosition, bounds: PriceBounds | None) -> float | None:
    """The exchange's liquidation price to set beside ours: ``liqPrice`` as sent, except at the instrument's
    price bound on the side it liquidates: a long's at or below ``minPrice``, a short's at or above
    ``maxPrice``, is Bybit's way (before 2023-07-31; "" since) of saying no price it can print liquidates
    the position: none, as "" is, not a figure to compare ours with. Bounds unknown: as sent.

    Only on a bound that can be the market's price filter: a floor a tick above 0 and a ceiling far above the
    price (Bybit's are ~1e-6 and ~20x the mark or more). A floor within ``MARK_MOVE_LIMIT`` of the position's
    mark or entry (or above them), or a ceiling within it, is no price filter (a hostile or broken answer, a
    row of another market): read as one, it would hide a real liquidation price. Such bounds are not used."""
    return liquidation_within_bounds(w.side, w.liquidation_price, (w.mark_price, w.entry_price), bounds)


def liquidation_within_bounds(side: Side | None, liq: float | None, near: tuple[float | None, ...],
                              bounds: PriceBounds | None) -> float | None:
    """``exchange_liquidation``'s rule on its parts (also the generic adapter's, for Bybit through ccxt):
    ``near`` are the position's mark and entry, what the bounds are judged by."""
    if liq is None or bounds is None:
        return liq
    prices = [p for p in near if p is not None and p > 0]
    if not prices:
        return liq  # nothing to judge the bounds by: as sent
    floor, ceiling = bounds.min_price, bounds.max_price
    if (side is Side.LONG and floor is not None and liq <= floor
            and floor * MARK_MOVE_LIMIT <= min(prices)):
        return None
    if (side is Side.SHORT and ceiling is not None and liq >= ceiling
            and ceiling >= max(prices) * MARK_MOVE_LIMIT):
        return None
    return liq


@dataclass(frozen=True, slots=True)
class WireWallet:
    margin_balance: float  # totalMarginBalance: collateral at its ratio, less liabilities, plus every PnL
    perp_upl: float
    available: float | None
    borrowed: float  # USDT borrowAmount
    accrued_interest: float  # USDT accruedInterest


def parse_wallet(item: Any) -> WireWallet:
    if not isinstance(item, dict) or item.get("accountType") != "UNIFIED":
        raise WireError("wallet: not a UNIFIED account")
    coins = item.get("coin")
    usdt = next((c for c in coins if isinstance(c, dict) and c.get("coin") == "USDT"), {}) if isinstance(
        coins, list) else {}
    return WireWallet(num(item, "totalMarginBalance"), opt_num(item, "totalPerpUPL") or 0.0,
                      plausible_amount(opt_num(item, "totalAvailableBalance"), "totalAvailableBalance"),
                      opt_num(usdt, "borrowAmount") or 0.0,
                      opt_num(usdt, "accruedInterest") or 0.0)


def parse_funding(rows: list[Any]) -> list[FundingPayment]:
    """``execution`` rows of ``execType`` Funding: ``execFee`` > 0 is paid (our sign: negative)."""
    out: list[FundingPayment] = []
    for row in rows:
        if not isinstance(row, dict) or row.get("execType") != "Funding":
            continue
        out.append(FundingPayment(unified(text(row, "symbol")), -num(row, "execFee"), ms_time(row, "execTime"),
                                  rate=opt_num(row, "feeRate"), payment_id=text(row, "execId")))
    return out


@dataclass(frozen=True, slots=True)
class BustTrade:
    symbol: str
    side: Side  # the position's side (a long is liquidated by a Sell)
    size: float
    price: float
    time: datetime


def parse_bust_trades(rows: list[Any]) -> list[BustTrade]:
    out: list[BustTrade] = []
    for row in rows:
        if not isinstance(row, dict) or row.get("execType") != "BustTrade":
            continue
        side = Side.LONG if text(row, "side") == "Sell" else Side.SHORT
        symbol = unified(text(row, "symbol"))
        size, price = num(row, "execQty"), num(row, "execPrice")
        # A liquidation closes some size at some price: neither can be 0 or below.
        if not size > 0:
            raise WireError(f"{symbol} BustTrade: execQty {size:g} is not > 0")
        if not price > 0:
            raise WireError(f"{symbol} BustTrade: execPrice {price:g} is not > 0")
        plausible_notional(size, price, f"{symbol} BustTrade")
        out.append(BustTrade(symbol, side, size, price, ms_time(row, "execTime")))
    return out


def parse_mark_klines(payload: Any) -> list[tuple[int, float]]:
    """``market/mark-price-kline``: (open ms, close), oldest first (Bybit lists newest first)."""
    out = []
    for row in result_list(payload, "mark-price-kline"):
        if not isinstance(row, list) or len(row) < 5:
            raise WireError("mark-price-kline row is not [start, open, high, low, close]")
        try:
            out.append((int(row[0]), float(row[4])))
        except (TypeError, ValueError):
            raise WireError("mark-price-kline row has no numbers") from None
    return sorted(out)
