"""Binance USDⓈ-M wire schemas -> domain values. Nothing here does I/O."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from liqwatch.feeds.wire import (
    CandleClose,
    WireError,
    candle_close,
    ms_time,
    num,
    opt_ms_time,
    opt_num,
    plausible_amount,
    plausible_break_even,
    plausible_notional,
    text,
)
from liqwatch.funding import implausible_interval
from liqwatch.funding_split import SettledRate
from liqwatch.model import Exchange, FundingPayment, MarginMode, MarkTick, Side, Stamp, UnevaluatedPosition
from liqwatch.symbols import SymbolError, to_unified
from liqwatch.tiers import TierTable, TierTableError

SETTLE_ASSETS = ("USDT",)
_BINANCE = Exchange.BINANCE  # an enum member's lookup on its class is not free, and the mark parse runs per frame


@lru_cache(maxsize=4096)
def unified(native: str) -> str:
    # Cached: every frame names its symbol, and the mapping never changes.
    try:
        return to_unified(Exchange.BINANCE, native)
    except SymbolError as exc:
        raise WireError(str(exc)) from None


def native(symbol: str) -> str:
    base, rest = symbol.split("/", 1)
    return base + rest.split(":", 1)[0]


def parse_brackets(payload: Any) -> dict[str, TierTable]:
    """GET /fapi/v1/leverageBracket -> tier table per unified symbol, with Binance's own ``cum``."""
    if isinstance(payload, dict):
        payload = [payload]
    if not isinstance(payload, list):
        raise WireError("leverageBracket: expected a list")
    out: dict[str, TierTable] = {}
    for item in payload:
        rows = []
        levs: list[float | None] = []
        for b in item.get("brackets", []):
            rows.append((num(b, "notionalFloor"), num(b, "notionalCap"), num(b, "maintMarginRatio"), num(b, "cum")))
            levs.append(opt_num(b, "initialLeverage"))
        try:
            out[unified(text(item, "symbol"))] = TierTable.build(rows, max_leverages=levs)
        except TierTableError as exc:
            raise WireError(f"leverageBracket {item.get('symbol')}: {exc}") from None
    return out


def _mark_update_fast(item: Any, receive: datetime) -> MarkTick | None:
    """The markPriceUpdate event as Binance always sends it (numbers as strings, times as integers), read with
    no more than it needs; None for anything else, which the general reading below then judges (and refuses
    with its own reason). Whatever this returns, the general reading would have returned the same tick."""
    s, p, i, r, e, t = item.get("s"), item.get("p"), item.get("i"), item.get("r"), item.get("E"), item.get("T")
    if not (type(s) is str and type(p) is str and type(i) is str and type(r) is str and i and r
            and type(e) is int and type(t) is int and t):
        return None
    try:
        mark, index, rate = float(p), float(i), float(r)
        exchange_time = datetime.fromtimestamp(float(e) / 1000.0, tz=UTC)
    except (ValueError, OverflowError, OSError):
        return None
    if not math.isfinite(mark + index + rate):  # true only if each is finite (an overflowing sum: the slow way)
        return None
    try:
        symbol = unified(s)
        funding_time = _funding_time(t)
    except (WireError, OverflowError, OSError, ValueError):
        return None
    return MarkTick(_BINANCE, symbol, mark, Stamp(exchange_time, receive), index_price=index,
                    funding_rate=rate, next_funding_time=funding_time)


@lru_cache(maxsize=64)
def _funding_time(ms: int) -> datetime:
    # Cached: the next funding time changes once per funding interval, not per frame.
    return datetime.fromtimestamp(float(ms) / 1000.0, tz=UTC)


def parse_premium_index(item: Any, receive: datetime) -> MarkTick:
    """GET /fapi/v1/premiumIndex item, or the markPriceUpdate stream event (same facts, short names)."""
    if item.get("e") == "markPriceUpdate":
        if (fast := _mark_update_fast(item, receive)) is not None:
            return fast
        return MarkTick(
            Exchange.BINANCE, unified(text(item, "s")), num(item, "p"), Stamp(ms_time(item, "E"), receive),
            index_price=opt_num(item, "i"), funding_rate=opt_num(item, "r"),
            next_funding_time=opt_ms_time(item, "T"),
        )
    return MarkTick(
        Exchange.BINANCE, unified(text(item, "symbol")), num(item, "markPrice"), Stamp(ms_time(item, "time"), receive),
        index_price=opt_num(item, "indexPrice"), funding_rate=opt_num(item, "lastFundingRate"),
        next_funding_time=opt_ms_time(item, "nextFundingTime"),
    )


@dataclass(frozen=True, slots=True)
class WirePosition:
    """A position as Binance reports it, before tiers and leverage are attached."""

    symbol: str
    side: Side | None  # None: size 0 (closed)
    size: float
    entry_price: float
    margin_mode: MarginMode
    isolated_wallet: float | None
    position_side: str  # BOTH | LONG | SHORT
    leverage: float | None = None
    mark_price: float | None = None
    liquidation_price: float | None = None
    break_even_price: float | None = None  # Binance's own (positionRisk breakEvenPrice, stream "bep")


def _side(amount: float, position_side: str) -> Side | None:
    if amount == 0:
        return None
    if position_side == "LONG":
        return Side.LONG
    if position_side == "SHORT":
        return Side.SHORT
    return Side.LONG if amount > 0 else Side.SHORT


def _margin_mode(value: Any) -> MarginMode:
    v = str(value).lower()
    if v in ("isolated", "iso"):
        return MarginMode.ISOLATED
    if v in ("cross", "crossed"):
        return MarginMode.CROSS
    raise WireError(f"unknown margin type {value!r}")


@dataclass(frozen=True, slots=True)
class _PositionFields:
    """Where a position's facts are: REST spells them out, the user stream abbreviates them."""

    symbol: str
    amount: str
    position_side: str
    margin_type: str
    entry: str
    isolated_wallet: str
    break_even: str


_REST = _PositionFields("symbol", "positionAmt", "positionSide", "marginType", "entryPrice", "isolatedWallet",
                        "breakEvenPrice")
_STREAM = _PositionFields("s", "pa", "ps", "mt", "ep", "iw", "bep")


def _wire_position(item: Any, f: _PositionFields) -> WirePosition:
    amount = num(item, f.amount)
    ps = str(item.get(f.position_side, "BOTH"))
    mode = _margin_mode(item.get(f.margin_type, "cross"))
    symbol = unified(text(item, f.symbol))
    entry = num(item, f.entry)
    plausible_notional(amount, entry, f"{symbol} {f.amount} x {f.entry}")
    bep = opt_num(item, f.break_even)
    if bep:  # "0.0" on a row of no position
        plausible_break_even(bep, entry, f"{symbol} {f.break_even}")
    return WirePosition(
        symbol=symbol,
        side=_side(amount, ps),
        size=abs(amount),
        entry_price=entry,
        margin_mode=mode,
        isolated_wallet=opt_num(item, f.isolated_wallet) if mode is MarginMode.ISOLATED else None,
        position_side=ps,
        break_even_price=bep if bep else None,  # "0.0" on a row of no position
    )


def parse_position_risk(item: Any) -> WirePosition:
    """GET /fapi/v2/positionRisk item: the stream's facts plus leverage, mark and Binance's own price."""
    liq = opt_num(item, "liquidationPrice")
    return replace(
        _wire_position(item, _REST),
        leverage=opt_num(item, "leverage"),
        mark_price=opt_num(item, "markPrice"),
        liquidation_price=liq if liq else None,  # Binance sends "0" when there is none
    )


def parse_position_risk_rows(payload: Any) -> tuple[list[WirePosition], list[tuple[Any, str]]]:
    """GET /fapi/v2/positionRisk: the rows read whole, and each row that could not be, with why (naming the
    field). One unreadable row never makes the others unusable; a row of no position (amount 0) is ignored
    however unreadable its other fields."""
    if not isinstance(payload, list):
        raise WireError("positionRisk: expected a list")
    rows: list[WirePosition] = []
    bad: list[tuple[Any, str]] = []
    for item in payload:
        try:
            rows.append(parse_position_risk(item))
        except WireError as exc:
            try:
                if num(item, _REST.amount) == 0:
                    continue
            except WireError:
                pass
            bad.append((item, str(exc)))
    return rows, bad


def _known(read: Any, *args: Any) -> Any:
    try:
        return read(*args)
    except WireError:
        return None


def unreadable_position(item: Any, why: str) -> UnevaluatedPosition | None:
    """What is known of a positionRisk row that could not be read whole, as a position not evaluated (the
    reason names the unreadable field); None when not even its symbol, size and side can be read."""
    symbol = _known(lambda: unified(text(item, _REST.symbol)))
    amount = _known(num, item, _REST.amount)
    if symbol is None or amount is None or not isinstance(item, dict):
        return None
    side = _side(amount, str(item.get(_REST.position_side, "BOTH")))
    if side is None:
        return None
    entry = _known(num, item, _REST.entry)
    liq = _known(opt_num, item, "liquidationPrice")
    return UnevaluatedPosition(
        symbol, side, abs(amount), f"unreadable: {why}", entry_price=entry if entry else None,
        mark_price=_known(opt_num, item, "markPrice"), margin_mode=_known(_margin_mode, item.get(_REST.margin_type)),
        leverage=_known(opt_num, item, "leverage"), exchange_liquidation_price=liq if liq else None,
    )


def parse_account_wallet(account: Any) -> float:
    """GET /fapi/v2/account -> cross wallet balance of the settle asset(s)."""
    assets = account.get("assets") if isinstance(account, dict) else None
    if not isinstance(assets, list):
        raise WireError("account: missing assets")
    total = 0.0
    for a in assets:
        if a.get("asset") in SETTLE_ASSETS:
            total += num(a, "crossWalletBalance")
    return total


def parse_account_margin_balance(account: Any) -> float | None:
    """GET /fapi/v2/account -> ``totalMarginBalance``: Binance's own equity (total wallet, isolated wallets
    included, plus every position's unrealized PnL); None when the response does not carry it."""
    if not isinstance(account, dict) or account.get("totalMarginBalance") is None:
        return None
    return num(account, "totalMarginBalance")


def parse_account_free(account: Any) -> tuple[float | None, float | None]:
    """GET /fapi/v2/account -> (``availableBalance``, ``maxWithdrawAmount``): Binance's own free margin (the
    cross margin balance less the initial margin of positions and open orders, floored at 0) and the amount it
    lets the account transfer out; None where the response does not carry one."""
    if not isinstance(account, dict):
        return None, None
    return (plausible_amount(opt_num(account, "availableBalance"), "availableBalance"),
            plausible_amount(opt_num(account, "maxWithdrawAmount"), "maxWithdrawAmount", non_negative=True))


def parse_account_marks(account: Any) -> dict[tuple[str, str], float]:
    """GET /fapi/v2/account -> the mark each open position's ``unrealizedProfit`` was computed at, by (unified
    symbol, positionSide): entry + uPnL / amount. Our equity is checked against ``totalMarginBalance`` at these
    marks, those of the same response, so that a mark moving between two requests is no disagreement."""
    out: dict[tuple[str, str], float] = {}
    for item in account.get("positions", []) if isinstance(account, dict) else []:
        try:
            amount = num(item, "positionAmt")
            if amount == 0:
                continue
            key = (unified(text(item, "symbol")), str(item.get("positionSide", "BOTH")))
            out[key] = num(item, "entryPrice") + num(item, "unrealizedProfit") / amount
        except WireError:
            continue  # a contract we do not monitor (a quarterly), or a row without the figures: no check
    return out


@dataclass(frozen=True, slots=True)
class AccountUpdate:
    stamp: Stamp
    cross_wallet: float | None
    positions: tuple[WirePosition, ...]


def parse_account_update(event: Any, receive: datetime) -> AccountUpdate:
    """The user stream's ACCOUNT_UPDATE: only what changed."""
    a = event.get("a")
    if not isinstance(a, dict):
        raise WireError("ACCOUNT_UPDATE without 'a'")
    stamp = Stamp(ms_time(event, "E"), receive)
    wallet = None
    for b in a.get("B", []) or []:
        if b.get("a") in SETTLE_ASSETS:
            wallet = (wallet or 0.0) + num(b, "cw")
    positions = tuple(_wire_position(p, _STREAM) for p in a.get("P", []) or [])
    return AccountUpdate(stamp, wallet, positions)


def parse_income(payload: Any) -> list[FundingPayment]:
    """GET /fapi/v1/income?incomeType=FUNDING_FEE."""
    if not isinstance(payload, list):
        raise WireError("income: expected a list")
    out = []
    for it in payload:
        if it.get("incomeType") != "FUNDING_FEE":
            continue
        out.append(
            FundingPayment(
                unified(text(it, "symbol")), num(it, "income"), ms_time(it, "time"),
                payment_id=str(it.get("tranId") or it.get("tradeId") or "") or None,
            )
        )
    return out


def parse_funding_rates(payload: Any) -> list[SettledRate]:
    """GET /fapi/v1/fundingRate: each settlement's rate and the mark price it was paid on."""
    if not isinstance(payload, list):
        raise WireError("fundingRate: expected a list")
    return [SettledRate(unified(text(it, "symbol")), ms_time(it, "fundingTime"), num(it, "fundingRate"),
                        num(it, "markPrice")) for it in payload]


def parse_funding_info(payload: Any) -> tuple[dict[str, float], list[tuple[Any, str]]]:
    """GET /fapi/v1/fundingInfo: interval hours for the symbols whose interval was adjusted, and the items
    that could not be read or carry an interval no exchange uses (``funding.implausible_interval``), each with
    why: skipped, the rest used."""
    if not isinstance(payload, list):
        raise WireError("fundingInfo: expected a list")
    intervals: dict[str, float] = {}
    bad: list[tuple[Any, str]] = []
    for item in payload:
        try:
            symbol, hours = unified(text(item, "symbol")), num(item, "fundingIntervalHours")
        except WireError as exc:
            bad.append((item, str(exc)))
            continue
        why = implausible_interval(hours)
        if why is None:
            intervals[symbol] = hours
        else:
            bad.append((item, why))
    return intervals, bad


def parse_mark_klines(payload: Any) -> list[CandleClose]:
    """GET /fapi/v1/markPriceKlines: rows ``[openTime, open, high, low, close, ignore, closeTime, ...]`` with
    the prices as strings, oldest first. Source: Binance USDⓈ-M "Mark Price Kline/Candlestick Data",
    https://developers.binance.com/docs/derivatives/usds-margined-futures/market-data/rest-api/Mark-Price-Kline-Candlestick-Data
    """
    if not isinstance(payload, list):
        raise WireError("markPriceKlines: expected a list")
    out = []
    for row in payload:
        if not isinstance(row, list) or len(row) < 5:
            raise WireError("markPriceKlines: a row is not [openTime, open, high, low, close, ...]")
        out.append(candle_close(row[0], row[4], "markPriceKlines"))
    return out
