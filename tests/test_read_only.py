"""Read-only by construction: no order, cancel, leverage, transfer or withdraw endpoint anywhere in the code,
and the adapters' allowlists reject anything else before signing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from liqwatch.feeds import binance, hyperliquid
from liqwatch.feeds.rest import ForbiddenEndpoint

ROOT = Path(__file__).resolve().parents[1]
# Endpoints that act on an account. The emulator serves none of them either.
WRITE_PATHS = re.compile(
    r"/fapi/v\d/(order|batchOrders|allOpenOrders|leverage|marginType|positionMargin|positionSide/dual|countdownCancelAll)"
    r"(?![A-Za-z])"
    r"|/sapi/v\d/(asset/transfer|capital/withdraw|futures/transfer)"
    r"|/v5/(order|position/set-leverage|position/trading-stop|asset/transfer|asset/withdraw)"
    r"|/api/v5/(trade|asset/withdrawal|asset/transfer|account/set-leverage)"
    r"|[\"']/exchange[\"']"
)


def _sources() -> list[Path]:
    return [p for pkg in ("liqwatch", "widgets", "tui") for p in sorted((ROOT / pkg).rglob("*.py"))]


def test_no_write_endpoint_in_the_code() -> None:
    hits = []
    for path in _sources():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if WRITE_PATHS.search(line):
                hits.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert hits == []


def test_the_pattern_catches_an_order_path() -> None:
    assert WRITE_PATHS.search('path = "/fapi/v1/order"')
    assert WRITE_PATHS.search("url + '/exchange'")
    assert not WRITE_PATHS.search('"/fapi/v2/positionRisk"')
    assert not WRITE_PATHS.search('"/fapi/v1/leverageBracket"')


@pytest.mark.parametrize(
    ("guard", "method", "path"),
    [
        (binance.READ_ONLY, "POST", "/fapi/v1/order"),
        (binance.READ_ONLY, "DELETE", "/fapi/v1/allOpenOrders"),
        (binance.READ_ONLY, "POST", "/fapi/v1/leverage"),
        (binance.READ_ONLY, "POST", "/fapi/v2/positionRisk"),  # a read path with a write method
        (binance.READ_ONLY, "POST", "/fapi/v1/forceOrders"),
        (hyperliquid.READ_ONLY, "POST", "/exchange"),
    ],
)
def test_allowlist_rejects_writes_before_signing(guard: object, method: str, path: str) -> None:
    with pytest.raises(ForbiddenEndpoint):
        guard.check(method, path)  # type: ignore[attr-defined]


def test_allowlist_accepts_the_reads_we_make() -> None:
    binance.READ_ONLY.check("GET", "/fapi/v2/positionRisk")
    binance.READ_ONLY.check("PUT", "/fapi/v1/listenKey")
    binance.READ_ONLY.check("GET", "/fapi/v1/markPriceKlines")  # σ at start: public mark-price candles
    binance.READ_ONLY.check("GET", "/fapi/v1/forceOrders")  # the liquidation history, read at start
    hyperliquid.READ_ONLY.check("POST", "/info")
