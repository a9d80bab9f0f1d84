"""ccxt's unified structures (positions, balance, mark prices, tickers) -> liqwatch's domain events for a
generic account: the exchange's figures only.

A unified field is taken as the exchange's only where ccxt passes it through from the exchange's answer
(``contracts``, ``contractSize``, ``entryPrice``, ``markPrice``, ``notional``, ``unrealizedPnl``, ``leverage``,
``marginMode``); for the exchanges whose own fields liqwatch knows (``ccxt_info``) the liquidation price and
maintenance margin are read from ``info``, else ccxt's ``liquidationPrice`` is taken and labelled ccxt's, and
no maintenance margin is shown (ccxt derives it for several exchanges, and not always right).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from liqwatch.feeds.bybit_wire import PriceBounds, liquidation_within_bounds
from liqwatch.feeds.ccxt_info import BALANCE_READERS, POSITION_READERS, TICKER_MARK_READERS
from liqwatch.feeds.wire import MAX_NOTIONAL, WireError, opt_num, plausible_amount, plausible_notional
from liqwatch.model import MarginMode, MarkTick, ReportedBalance, ReportedPosition, Side, Stamp


def _price(row: Mapping[str, Any], key: str) -> float | None:
    value = opt_num(row, key)
    return value if value is not None and value > 0 else None


def _mode(text: Any) -> MarginMode | None:
    return {"isolated": MarginMode.ISOLATED, "cross": MarginMode.CROSS}.get(str(text).lower()) if text else None


def reported_position(row: Mapping[str, Any], ccxt_id: str, market: Mapping[str, Any] | None
                      ) -> ReportedPosition | None:
    """One unified position; None for a row that holds nothing (0 contracts). WireError: unreadable."""
    symbol = row.get("symbol")
    if not isinstance(symbol, str) or not symbol:
        raise WireError("position without a symbol")
    contracts = opt_num(row, "contracts")
    if contracts is None or contracts == 0:
        return None
    side_text = row.get("side")
    if side_text not in ("long", "short"):
        raise WireError(f"{symbol}: side {side_text!r} is neither long nor short")
    side = Side.LONG if side_text == "long" else Side.SHORT
    # The market's contract size where ccxt has the market (its row's may be derived: see InfoPosition.size).
    contract_size = (opt_num(market, "contractSize") if market else None) or opt_num(row, "contractSize") or 1.0
    size = abs(contracts) * contract_size
    linear = not bool(market.get("inverse")) if market else True
    entry, mark = _price(row, "entryPrice"), _price(row, "markPrice")
    notional = opt_num(row, "notional")
    if notional is not None and abs(notional) > MAX_NOTIONAL:
        raise WireError(f"{symbol}: notional {notional:g} is not a plausible amount")
    info = row.get("info")
    reader = POSITION_READERS.get(ccxt_id)
    mode = _mode(row.get("marginMode"))
    if reader is not None and isinstance(info, dict):
        known = reader(info)
        liq, mm, source = known.liquidation_price, known.maintenance_margin, "exchange"
        size = known.size if known.size is not None and known.size > 0 else size
        mark = known.mark_price or mark
        mode = known.margin_mode or mode
        if ccxt_id == "bybit" and market is not None:
            liq = liquidation_within_bounds(side, liq, (mark, entry), _bybit_bounds(market))
    else:
        liq, mm, source = _price(row, "liquidationPrice"), None, "ccxt"
    # Each field finite is not enough: their product overflows, or is worth more than any market holds.
    plausible_notional(size, mark or entry or 1.0, symbol)
    return ReportedPosition(
        symbol=symbol, side=side, size=size, entry_price=entry, mark_price=mark, liquidation_price=liq,
        margin_mode=mode, leverage=_price(row, "leverage"), notional=notional,
        unrealized_pnl=plausible_amount(opt_num(row, "unrealizedPnl"), f"{symbol}: unrealizedPnl"),
        maintenance_margin=plausible_amount(mm, f"{symbol}: maintenance margin"), linear=linear,
        liquidation_source=source,
    )


def _bybit_bounds(market: Mapping[str, Any]) -> PriceBounds | None:
    """Bybit's priceFilter as ccxt keeps it (``limits.price``), for its liqPrice-at-a-bound rule."""
    limits = market.get("limits")
    price = limits.get("price") if isinstance(limits, dict) else None
    if not isinstance(price, dict):
        return None
    low, high = opt_num(price, "min"), opt_num(price, "max")
    return PriceBounds(low if low and low > 0 else None, high if high and high > 0 else None)


def reported_balance(balance: Mapping[str, Any], ccxt_id: str, currency: str) -> ReportedBalance:
    """The account's balance: the exchange's own account fields where known, else ccxt's unified total of
    ``currency`` (the positions' settlement currency). WireError: neither is there."""
    info = balance.get("info")
    reader = BALANCE_READERS.get(ccxt_id)
    if reader is not None and isinstance(info, dict):
        known = reader(info)
        _plausible(known.equity, known.wallet_balance, known.maintenance_margin, known.available)
        return ReportedBalance(currency, known.equity, known.wallet_balance, known.maintenance_margin,
                               known.available, source="exchange")
    totals, free = balance.get("total"), balance.get("free")
    equity = opt_num(totals, currency) if isinstance(totals, dict) else None
    if equity is None:
        raise WireError(f"balance: no total of {currency}")
    available = opt_num(free, currency) if isinstance(free, dict) else None
    _plausible(equity, None, None, available)
    return ReportedBalance(currency, equity, None, None, available, source="ccxt")


def _plausible(equity: float, wallet: float | None, maintenance: float | None, available: float | None) -> None:
    """No account holds more than every market's open interest (``wire.plausible_amount``), either way."""
    for value, what in ((equity, "equity"), (wallet, "wallet balance"), (maintenance, "maintenance margin"),
                        (available, "available")):
        plausible_amount(value, f"balance: {what}")


def settlement_currency(markets: Mapping[str, Any], symbols: list[str], totals: Any) -> str:
    """The currency a generic account's figures are in: its positions' settlement currency, else the first of
    USDT, USDC, USD its balance holds."""
    settles = [str(m["settle"]) for s in symbols if (m := markets.get(s)) and m.get("settle")]
    if settles:
        return max(set(settles), key=settles.count)
    held = totals if isinstance(totals, dict) else {}
    return next((c for c in ("USDT", "USDC", "USD") if c in held), "USDT")


def mark_tick(exchange: str, symbol: str, row: Mapping[str, Any], receive: datetime, ccxt_id: str = ""
              ) -> MarkTick | None:
    """A mark price from a unified mark-price or ticker row (or its ``info``, for an exchange whose mark ccxt
    leaves out: ``TICKER_MARK_READERS``); None when it carries no mark (a ticker's last trade is no mark:
    liquidation goes by the mark). Dated by the exchange's timestamp, else by arrival."""
    mark = _price(row, "markPrice")
    info = row.get("info")
    if mark is None and (reader := TICKER_MARK_READERS.get(ccxt_id)) is not None and isinstance(info, dict):
        mark = reader(info)
    if mark is None:
        return None
    ms = opt_num(row, "timestamp")
    stamp_time = datetime.fromtimestamp(ms / 1000.0, UTC) if ms is not None and ms > 0 else receive
    index = _price(row, "indexPrice")
    return MarkTick(exchange, symbol, mark, Stamp(stamp_time, receive), index_price=index,
                    by_arrival=ms is None or ms <= 0)


def funding_tick(exchange: str, symbol: str, row: Mapping[str, Any], receive: datetime, ccxt_id: str = ""
                 ) -> MarkTick | None:
    """A unified funding-rate row as a mark event (its rate and next funding time ride on the mark); None
    without a mark price in it."""
    tick = mark_tick(exchange, symbol, row, receive, ccxt_id)
    if tick is None:
        return None
    rate = opt_num(row, "fundingRate")
    nxt = opt_num(row, "fundingTimestamp") or opt_num(row, "nextFundingTimestamp")
    return MarkTick(tick.exchange, tick.symbol, tick.mark_price, tick.stamp, index_price=tick.index_price,
                    funding_rate=rate, next_funding_time=datetime.fromtimestamp(nxt / 1000.0, UTC) if nxt else None,
                    by_arrival=tick.by_arrival)
