"""What the generic adapter reads from the exchange's own answer (ccxt's ``info``) for the exchanges whose
fields liqwatch knows: the liquidation price and maintenance margin as the exchange sent them, never ccxt's
unified figure where ccxt derives it (formulas.md §6: Binance's account endpoint gets a liquidation price of
ccxt's own, Bybit's maintenance margin is recomputed from the bankruptcy price, OKX's ``marginRatio`` is not
OKX's ``mgnRatio``, Hyperliquid's is left empty).

Each reader takes one unified row and returns the fields it found, a missing one as None; an unknown id has no
reader (``POSITION_READERS``), and the generic adapter then takes ccxt's pass-through fields, labelled ccxt's.
A field that is there but no number raises WireError: the row is unreadable, never read in part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from liqwatch.feeds.wire import WireError, opt_num
from liqwatch.model import MarginMode


@dataclass(frozen=True, slots=True)
class InfoPosition:
    liquidation_price: float | None
    maintenance_margin: float | None
    mark_price: float | None
    margin_mode: MarginMode | None
    #: The size in the base asset as the exchange states it (None: only in contracts, to be multiplied by the
    #: market's contract size). ccxt derives ``contractSize`` for a symbol it has no market of (Bybit's notional
    #: over price, OKX's from the margin): never taken when the exchange says the size itself.
    size: float | None = None


@dataclass(frozen=True, slots=True)
class InfoBalance:
    equity: float
    wallet_balance: float | None
    maintenance_margin: float | None
    available: float | None


def _positive(value: float | None) -> float | None:
    # 0 is how Binance and OKX say "no liquidation price" (a position no price liquidates).
    return value if value is not None and value > 0 else None


def _mode(text: Any) -> MarginMode | None:
    if text in ("isolated", "ISOLATED"):
        return MarginMode.ISOLATED
    if text in ("cross", "CROSS", "crossed"):
        return MarginMode.CROSS
    return None


def _binance_position(info: dict[str, Any]) -> InfoPosition:
    mode = _mode(info.get("marginType"))
    if mode is None and "isolatedWallet" in info:
        mode = MarginMode.ISOLATED if (opt_num(info, "isolatedWallet") or 0.0) > 0 else MarginMode.CROSS
    amount = opt_num(info, "positionAmt")
    return InfoPosition(_positive(opt_num(info, "liquidationPrice")), opt_num(info, "maintMargin"),
                        _positive(opt_num(info, "markPrice")), mode, abs(amount) if amount is not None else None)


def _bybit_position(info: dict[str, Any]) -> InfoPosition:
    trade_mode = info.get("tradeMode")
    mode = MarginMode.ISOLATED if trade_mode in (1, "1") else MarginMode.CROSS if trade_mode in (0, "0") else None
    size = opt_num(info, "size")  # a linear position's size in the base coin
    return InfoPosition(_positive(opt_num(info, "liqPrice")), opt_num(info, "positionMM"),
                        _positive(opt_num(info, "markPrice")), mode, abs(size) if size is not None else None)


def _okx_position(info: dict[str, Any]) -> InfoPosition:
    # ``pos`` is in contracts (times the instrument's ctVal) unless ``posCcy`` names the currency it is in (a
    # margin position's, in that currency).
    pos = opt_num(info, "pos")
    size = abs(pos) if pos is not None and info.get("posCcy") else None
    return InfoPosition(_positive(opt_num(info, "liqPx")), opt_num(info, "mmr"), _positive(opt_num(info, "markPx")),
                        _mode(info.get("mgnMode")), size)


def _hyperliquid_position(info: dict[str, Any]) -> InfoPosition:
    pos = info.get("position", info)
    if not isinstance(pos, dict):
        raise WireError("position: not an object")
    lev = pos.get("leverage")
    mode = _mode(lev.get("type")) if isinstance(lev, dict) else None
    # Hyperliquid reports no per-position maintenance margin (only the account's crossMaintenanceMarginUsed).
    szi = opt_num(pos, "szi")
    return InfoPosition(_positive(opt_num(pos, "liquidationPx")), None, None, mode,
                        abs(szi) if szi is not None else None)


def _required(obj: Any, key: str, where: str) -> float:
    """The account's equity field: a balance without it is unreadable (WireError), never a zero."""
    value = opt_num(obj, key)
    if value is None:
        raise WireError(f"{where}: no {key}")
    return value


def _first_row(rows: Any, missing: str) -> dict[str, Any]:
    if not isinstance(rows, list) or not rows or not isinstance(rows[0], dict):
        raise WireError(missing)
    return rows[0]


def _binance_balance(info: dict[str, Any]) -> InfoBalance:
    equity = _required(info, "totalMarginBalance", "account")
    return InfoBalance(equity, opt_num(info, "totalWalletBalance"), opt_num(info, "totalMaintMargin"),
                       opt_num(info, "availableBalance"))


def _bybit_balance(info: dict[str, Any]) -> InfoBalance:
    result = info.get("result", info)
    row = _first_row(result.get("list") if isinstance(result, dict) else None, "wallet-balance: no account row")
    equity = _required(row, "totalMarginBalance", "wallet-balance")
    return InfoBalance(equity, opt_num(row, "totalWalletBalance"), opt_num(row, "totalMaintenanceMargin"),
                       opt_num(row, "totalAvailableBalance"))


def _okx_balance(info: dict[str, Any]) -> InfoBalance:
    row = _first_row(info.get("data"), "account/balance: no row")
    equity = _required(row, "totalEq", "account/balance")
    details = row.get("details")
    usdt = next((d for d in details if isinstance(d, dict) and d.get("ccy") == "USDT"), None) \
        if isinstance(details, list) else None
    return InfoBalance(equity, None, opt_num(row, "mmr"), opt_num(usdt, "availEq") if usdt is not None else None)


def _hyperliquid_balance(info: dict[str, Any]) -> InfoBalance:
    summary = info.get("marginSummary")
    equity = opt_num(summary, "accountValue") if isinstance(summary, dict) else None
    if equity is None:
        raise WireError("clearinghouseState: no marginSummary.accountValue")
    return InfoBalance(equity, None, opt_num(info, "crossMaintenanceMarginUsed"), opt_num(info, "withdrawable"))


POSITION_READERS: dict[str, Callable[[dict[str, Any]], InfoPosition]] = {
    "binanceusdm": _binance_position,
    "bybit": _bybit_position,
    "okx": _okx_position,
    "hyperliquid": _hyperliquid_position,
}
BALANCE_READERS: dict[str, Callable[[dict[str, Any]], InfoBalance]] = {
    "binanceusdm": _binance_balance,
    "bybit": _bybit_balance,
    "okx": _okx_balance,
    "hyperliquid": _hyperliquid_balance,
}


def _hyperliquid_ticker_mark(info: dict[str, Any]) -> float | None:
    # ccxt's Hyperliquid ticker leaves markPrice empty; the asset context it was parsed from has markPx.
    return _positive(opt_num(info, "markPx"))


#: Marks in a ticker's ``info`` where ccxt's unified ``markPrice`` stays empty.
TICKER_MARK_READERS: dict[str, Callable[[dict[str, Any]], float | None]] = {
    "hyperliquid": _hyperliquid_ticker_mark,
}
