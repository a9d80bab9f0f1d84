"""Account modes: which of an exchange's margin modes liqwatch models, read from the exchange's own answer.

Each ``*_mode`` function takes the documented payload and returns None when the mode's margin rules are
the ones liqwatch implements, or the reason (shown as "mode not modelled: <reason>") when they are not.
A payload that cannot be read is a WireError: an unknown mode is never taken for a modelled one. Nothing
here does I/O; the adapters (Binance now, Bybit and OKX with their live feeds) call these at start.
"""

from __future__ import annotations

from typing import Any

from liqwatch.feeds.wire import WireError


def _flag(obj: Any, key: str) -> bool:
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, bool):
        raise WireError(f"missing or non-boolean field {key!r}")
    return value


# --- Binance USDⓈ-M ---------------------------------------------------------------------------------------
def binance_multi_assets_mode(payload: Any) -> str | None:
    """GET /fapi/v1/multiAssetsMargin -> {"multiAssetsMargin": true|false} (also a field of /fapi/v2/account).

    Multi-Assets mode margins USDⓈ-M positions with several assets at haircut values (and allows cross only);
    liqwatch models the single-asset USDT wallet."""
    if _flag(payload, "multiAssetsMargin"):
        return ("Binance Multi-Assets mode (margin in several assets at haircut values); liqwatch models "
                "single-asset mode only")
    return None


def binance_portfolio_margin(payload: Any) -> str | None:
    """GET /sapi/v1/account/apiRestrictions, asked when the USDⓈ-M API refuses the key.

    Binance documents (Wallet, "Get API Key Permission",
    https://developers.binance.com/docs/wallet/endpoints/api-key-permission) that ``enableFutures`` is
    false when "you have enabled portfolio margin" (the Futures API cannot be used then), and that
    ``enablePortfolioMarginTrading`` is only available to keys created after portfolio margin was
    activated: that flag set means a Portfolio Margin account, whose risk is its uniMMR over every
    product, not USDⓈ-M's margin ratio."""
    if not isinstance(payload, dict):
        raise WireError("apiRestrictions: expected an object")
    if payload.get("enablePortfolioMarginTrading") is True:
        return ("Binance Portfolio Margin (risk is the account's uniMMR across products, and the USDⓈ-M API "
                "is closed to its keys); liqwatch does not model it")
    return None


# --- Bybit v5 ---------------------------------------------------------------------------------------------
#: GET /v5/account/info ``unifiedMarginStatus``: 1 classic account; 3 and 4 UTA 1.0 (4: pro); 5 and 6
#: UTA 2.0 (6: pro). liqwatch's Bybit rules (liqwatch/risk/bybit.py) are the unified account's.
BYBIT_UNIFIED = frozenset({3, 4, 5, 6})
#: ``marginMode``: regular (cross) and isolated margin are modelled; portfolio margin is not.
BYBIT_MARGIN_MODES = frozenset({"REGULAR_MARGIN", "ISOLATED_MARGIN"})


def bybit_account_mode(payload: Any) -> str | None:
    """GET /v5/account/info (the whole answer, ``{"retCode": 0, "result": {...}}``, or its ``result``)."""
    result = payload.get("result", payload) if isinstance(payload, dict) else None
    if not isinstance(result, dict):
        raise WireError("account/info: expected an object")
    status = result.get("unifiedMarginStatus")
    if not isinstance(status, int) or isinstance(status, bool):
        raise WireError("account/info: missing unifiedMarginStatus")
    if status == 1:
        return "Bybit classic account (not a unified trading account); liqwatch models unified accounts only"
    if status not in BYBIT_UNIFIED:
        return f"Bybit account status {status} is unknown to liqwatch"
    mode = result.get("marginMode")
    if mode not in BYBIT_MARGIN_MODES:
        shown = "portfolio margin" if mode == "PORTFOLIO_MARGIN" else f"margin mode {mode!r}"
        return f"Bybit {shown}; liqwatch models regular and isolated margin only"
    return None


# --- OKX v5 -----------------------------------------------------------------------------------------------
#: GET /api/v5/account/config ``acctLv``: 1 spot mode (no swap can be held), 2 spot and futures
#: (single-currency margin), 3 multi-currency margin (its ratio on adjEq), 4 portfolio margin.
OKX_MODELLED_LEVELS = frozenset({"1", "2", "3"})
OKX_LEVEL_NAMES = {"1": "spot mode", "2": "single-currency margin", "3": "multi-currency margin",
                   "4": "portfolio margin"}


def okx_account_mode(payload: Any) -> str | None:
    """GET /api/v5/account/config (the whole answer, ``{"code": "0", "data": [{...}]}``, or one entry)."""
    entry = payload
    if isinstance(payload, dict) and "data" in payload:
        data = payload["data"]
        entry = data[0] if isinstance(data, list) and data else None
    if not isinstance(entry, dict) or not isinstance(entry.get("acctLv"), str):
        raise WireError("account/config: missing acctLv")
    level = entry["acctLv"]
    if level in OKX_MODELLED_LEVELS:
        return None
    name = OKX_LEVEL_NAMES.get(level, f"account level {level!r}")
    return f"OKX {name}; liqwatch models single- and multi-currency margin only"
