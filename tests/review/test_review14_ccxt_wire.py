"""Review of issue 14 (the generic ccxt adapter): implausible sizes and amounts in ccxt's unified rows. Each
field was checked to be a finite number, not their product nor their size: ``contracts`` x ``contractSize``
overflowed to an infinite size, a position worth 100 times every market's open interest was shown, and a
balance of 1e300 was taken as the account's equity. The native wires refuse these (``wire.plausible_*``)."""

from __future__ import annotations

from typing import Any

import pytest

from liqwatch.feeds.ccxt_wire import reported_balance, reported_position
from liqwatch.feeds.wire import WireError

BTC = "BTC/USD:USD"
MARKET = {"swap": True, "settle": "USD", "linear": True, "contractSize": 1.0}


def _row(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"symbol": BTC, "side": "long", "contracts": 1.0, "contractSize": 1.0,
                           "entryPrice": 60000.0, "markPrice": 60000.0, "liquidationPrice": 50000.0}
    row.update(over)
    return row


@pytest.mark.parametrize("over", [
    {"contracts": 1e200, "contractSize": 1e200},  # a size that overflows to inf
    {"contracts": 1e9},  # 6e13 at the mark: more than any market's open interest
    {"contracts": 1e9, "markPrice": None},  # by its entry price, with no mark
    {"unrealizedPnl": 1e300},
], ids=["overflow", "notional", "by-entry", "pnl"])
def test_an_implausible_position_is_unreadable(over: dict[str, Any]) -> None:
    with pytest.raises(WireError):
        reported_position(_row(**over), "krakenfutures", MARKET)


def test_a_plausible_position_still_reads() -> None:
    pos = reported_position(_row(contracts=2.5), "krakenfutures", MARKET)
    assert pos is not None and pos.size == 2.5


@pytest.mark.parametrize("balance", [
    {"total": {"USD": 1e300}},
    {"total": {"USD": 1000.0}, "free": {"USD": -1e300}},
], ids=["equity", "free"])
def test_an_implausible_balance_is_unreadable(balance: dict[str, Any]) -> None:
    with pytest.raises(WireError):
        reported_balance(balance, "krakenfutures", "USD")
