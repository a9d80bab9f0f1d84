"""Map exchange-native symbols to ccxt unified ones (``BTC/USDT:USDT``), which the whole engine uses."""

from __future__ import annotations

import re

from liqwatch.model import Exchange, ExchangeId

_UNIFIED = re.compile(r"^[A-Z0-9]+/[A-Z0-9]+:[A-Z0-9]+$")
_QUOTES = ("USDT", "USDC", "FDUSD", "BUSD")


class SymbolError(ValueError):
    pass


def to_unified(exchange: ExchangeId, symbol: str) -> str:
    """Accepts a unified symbol as is; otherwise reads the exchange's native spelling of a linear perp."""
    s = symbol.strip()
    if _UNIFIED.match(s):
        return s
    up = s.upper()
    if exchange == Exchange.HYPERLIQUID:
        if re.fullmatch(r"[A-Z0-9]+", up):
            return f"{up}/USDC:USDC"
    elif exchange == Exchange.OKX:
        m = re.fullmatch(r"([A-Z0-9]+)-([A-Z0-9]+)-SWAP", up)
        if m:
            return f"{m.group(1)}/{m.group(2)}:{m.group(2)}"
    else:
        for quote in _QUOTES:
            if up.endswith(quote) and len(up) > len(quote):
                return f"{up[: -len(quote)]}/{quote}:{quote}"
    raise SymbolError(f"cannot read {symbol!r} as a {exchange} linear perpetual symbol")


def settle_currency(symbol: str) -> str:
    return symbol.rsplit(":", 1)[-1]
