"""Crafted Bybit v5 frames for the adapter contract suite (the documented shapes of ``tickers`` deltas and the
private ``position`` and ``wallet`` topics)."""

from __future__ import annotations

from typing import Any

import orjson

BYBIT_BTC_TICKER = '"topic":"tickers.BTCUSDT"'


def bybit_mark(price: str, e_ms: int) -> str:
    """A tickers delta with another mark: applied onto the snapshot the adapter holds."""
    return orjson.dumps({"topic": "tickers.BTCUSDT", "type": "delta", "cs": 1, "ts": e_ms,
                         "data": {"symbol": "BTCUSDT", "markPrice": price}}).decode()


def bybit_position(size: str, e_ms: int, wallet: str | None = None) -> str:
    row = {"category": "linear", "symbol": "BTCUSDT", "side": "Buy" if float(size) > 0 else "", "size": size,
           "positionIdx": 0, "tradeMode": 0, "entryPrice": "59000", "markPrice": "60000", "leverage": "10",
           "positionBalance": "0", "liqPrice": "", "bustPrice": "", "unrealisedPnl": "0", "riskId": 1,
           "positionStatus": "Normal", "createdTime": str(e_ms - 60_000), "updatedTime": str(e_ms), "seq": e_ms}
    return orjson.dumps({"id": f"c-{e_ms}", "topic": "position", "creationTime": e_ms, "data": [row]}).decode()


def bybit_wallet(e_ms: int, wallet: str) -> str:
    account = {"accountType": "UNIFIED", "totalMarginBalance": wallet, "totalPerpUPL": "0",
               "totalAvailableBalance": wallet, "totalEquity": wallet, "totalWalletBalance": wallet,
               "coin": [{"coin": "USDT", "walletBalance": wallet, "equity": wallet, "borrowAmount": "0",
                         "accruedInterest": "0"}]}
    return orjson.dumps({"id": f"w-{e_ms}", "topic": "wallet", "creationTime": e_ms, "data": [account]}).decode()


def bybit_mark_time(msg: Any) -> int | None:
    if isinstance(msg, dict) and msg.get("topic") == "tickers.BTCUSDT":
        return int(msg["ts"])
    return None
