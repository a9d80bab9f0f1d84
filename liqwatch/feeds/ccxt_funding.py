"""The generic adapter's funding rates: ``fetch_funding_rates`` polled where the exchange has it, each row a mark
event carrying the rate and next funding time (liqwatch.feeds.ccxt_wire.funding_tick), judged as a streamed mark
is (a plausible move, a plausible time) before it is applied, yet no data of the marks channel: a REST answer."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from liqwatch.feeds.ccxt_errors import bounded
from liqwatch.feeds.ccxt_guard import ReadOnlyExchange
from liqwatch.feeds.ccxt_wire import funding_tick
from liqwatch.feeds.wire import WireError
from liqwatch.model import MarkTick

FUNDING_POLL_S = 60.0


async def fetch_funding(ex: ReadOnlyExchange, symbols: list[str], timeout_s: float) -> dict[str, Any]:
    """The funding rates of ``symbols`` (none asked for none), within ``timeout_s``."""
    if not symbols:
        return {}
    return await bounded(ex.fetch_funding_rates(symbols), timeout_s,
                         f"{ex.ccxt_id} fetch_funding_rates")


def funding_ticks(rows: dict[str, Any] | None, watched: Iterable[str], exchange_id: str, ccxt_id: str,
                  receive: datetime, judge: Callable[[MarkTick], object],
                  bad_item: Callable[[str, Any, str], None]) -> list[MarkTick]:
    """The rows of watched symbols that carry a mark, each judged (``judge`` raises WireError for an implausible
    one: a bad item, never applied)."""
    wanted = set(watched)
    out: list[MarkTick] = []
    for symbol, row in (rows or {}).items():
        if symbol not in wanted or not isinstance(row, dict):
            continue
        try:
            tick = funding_tick(exchange_id, symbol, row, receive, ccxt_id)
            if tick is not None:
                judge(tick)
        except WireError as exc:
            bad_item("funding", row, str(exc))
            continue
        if tick is not None:
            out.append(tick)
    return out
