"""Crafted exchange frames, one builder per exchange and kind, for the tests that inject what the emulator would
never send (through tests/feeds/ws_relay.py). Frames are the exchanges' documented shapes; a Hyperliquid frame
is built from a real one the relay saw (``template``), so only the field under test differs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import orjson

TEN_YEARS_MS = 10 * 365 * 86400 * 1000


def now_ms() -> int:
    return int(time.time() * 1000)


async def holds(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    """``predicate`` stays true for ``seconds`` (polled; a window to observe, not a sleep for luck)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        assert predicate(), what
        await asyncio.sleep(0.02)


# --- Binance USDⓈ-M ---------------------------------------------------------------------------------------

def mark_frame(symbol: str, price: str, e_ms: int) -> str:
    item = {"e": "markPriceUpdate", "E": e_ms, "s": symbol, "p": price, "P": price, "i": price,
            "r": "0.0001", "T": now_ms() + 3_600_000}
    return orjson.dumps({"stream": f"{symbol.lower()}@markPrice@1s", "data": item}).decode()


def account_update(e_ms: int, positions: list[dict[str, str]], wallet: str | None = None) -> str:
    balances = [{"a": "USDT", "wb": wallet, "cw": wallet, "bc": "0"}] if wallet is not None else []
    return orjson.dumps({"e": "ACCOUNT_UPDATE", "E": e_ms, "T": e_ms,
                         "a": {"m": "ORDER", "B": balances, "P": positions}}).decode()


def leg(symbol: str, amount: str, entry: str) -> dict[str, str]:
    return {"s": symbol, "pa": amount, "ep": entry, "bep": entry, "cr": "0", "up": "0", "mt": "cross", "iw": "0",
            "ps": "BOTH", "ma": "USDT"}


def binance_mark(price: str, e_ms: int) -> str:
    return mark_frame("BTCUSDT", price, e_ms)


def binance_position(size: str, e_ms: int, wallet: str | None = None) -> str:
    return account_update(e_ms, [leg("BTCUSDT", size, "58500")], wallet=wallet)


def binance_wallet(e_ms: int, wallet: str) -> str:
    """A user-stream deposit: the wallet as the exchange says, at exchange time ``e_ms``."""
    return orjson.dumps({"e": "ACCOUNT_UPDATE", "E": e_ms, "T": e_ms, "a": {
        "m": "DEPOSIT", "B": [{"a": "USDT", "wb": wallet, "cw": wallet, "bc": "0"}], "P": []}}).decode()


def binance_mark_time(msg: Any) -> int | None:
    data = msg.get("data", msg) if isinstance(msg, dict) else None
    if isinstance(data, dict) and data.get("e") == "markPriceUpdate" and data.get("s") == "BTCUSDT":
        return int(data["E"])
    return None


# --- Hyperliquid -------------------------------------------------------------------------------------------

HL_STATE = '"clearinghouseState"'
HL_CTX = '"activeAssetCtx"'


def hl_mark(template: str, price: str) -> str:
    """A real activeAssetCtx frame with another mark (Hyperliquid's contexts carry no time)."""
    msg: dict[str, Any] = orjson.loads(template)
    msg["data"]["ctx"]["markPx"] = price
    return orjson.dumps(msg).decode()


def hl_position(template: str, size: str, time_ms: int, account_value: str | None = None) -> str:
    """A real clearinghouseState frame with another BTC size, exchange time (and account value)."""
    msg: dict[str, Any] = orjson.loads(template)
    state = msg["data"]["clearinghouseState"]
    state["time"] = time_ms
    if account_value is not None:
        for summary in ("marginSummary", "crossMarginSummary"):
            if summary in state:
                state[summary]["accountValue"] = account_value
    for ap in state["assetPositions"]:
        if ap["position"]["coin"] == "BTC":
            ap["position"]["szi"] = size
    return orjson.dumps(msg).decode()
#: The relay marker of a real BTC activeAssetCtx frame (the emulator, as Hyperliquid, writes compact JSON).
HL_BTC_CTX = '{"channel":"activeAssetCtx","data":{"coin":"BTC"'


def hl_state_time(msg: Any) -> int | None:
    if isinstance(msg, dict) and msg.get("channel") == "clearinghouseState":
        return int(msg["data"]["clearinghouseState"]["time"])
    return None


# --- OKX v5 ------------------------------------------------------------------------------------------------
#: The relay marker of every real mark-price push, whichever symbol (the held one and, until the first snapshot,
#: the heartbeat's); the emulator, as OKX, writes compact JSON, and an acknowledgement starts with "event".
OKX_MARK = '{"arg":{"channel":"mark-price"'
OKX_ETH_CT_VAL = 0.1
#: The relay marker of a real positions push.
OKX_POSITIONS = '{"arg":{"channel":"positions"'


def okx_mark(price: str, e_ms: int) -> str:
    arg = {"channel": "mark-price", "instId": "ETH-USDT-SWAP"}
    return orjson.dumps({"arg": arg, "data": [{"instType": "SWAP", "instId": "ETH-USDT-SWAP", "markPx": price,
                                               "ts": str(e_ms)}]}).decode()


def okx_position(size: str, e_ms: int, wallet: str | None = None) -> str:
    """A ``positions`` push of the isolated ETH long (``size`` in coins, as the suite gives it) at ``e_ms``."""
    contracts = float(size) / OKX_ETH_CT_VAL
    row = {"instId": "ETH-USDT-SWAP", "instType": "SWAP", "pos": f"{contracts:g}", "avgPx": "3000",
           "mgnMode": "isolated", "margin": "1500", "lever": "20", "posSide": "net", "upl": "0", "liqPx": "",
           "markPx": "", "uTime": str(e_ms), "pTime": str(e_ms)}
    return orjson.dumps({"arg": {"channel": "positions", "instType": "SWAP", "uid": "1"}, "data": [row]}).decode()


def okx_mark_time(msg: Any) -> int | None:
    if isinstance(msg, dict) and isinstance(msg.get("arg"), dict) and msg["arg"].get("channel") == "mark-price":
        data = msg.get("data")
        if isinstance(data, list) and data and data[0].get("instId") == "ETH-USDT-SWAP":
            return int(data[0]["ts"])
    return None
