"""Binance settled funding: the income ledger (``FUNDING_FEE``) into the store, split per leg in hedge mode.

The exchange's records go to the store as booked (the account's funding and its history). In hedge mode a
record names no leg, so each settlement is split between the legs open at it from the settlement's own rate
and mark (``GET /fapi/v1/fundingRate``); until that is known the settlement waits, and the legs show nothing
rather than a guess. A split whose legs do not add up to the record (beyond rounding) is an incident.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from liqwatch.clock import Clock
from liqwatch.feeds.binance_wire import native, parse_funding_rates, parse_income
from liqwatch.feeds.rest import RestError
from liqwatch.feeds.wire import WireError
from liqwatch.funding import payment_key
from liqwatch.funding_split import Leg, SettledRate, Settlement, rate_for, settlements, split
from liqwatch.model import Exchange, FundingPayment, PositionMode
from liqwatch.risk_events import FeedNote
from liqwatch.store import FundingPaid, MonitorStore

log = logging.getLogger(__name__)

Fetch = Callable[[str, dict[str, str]], Awaitable[Any]]
#: Keeps the records whose time is plausible (the adapter's rule, see ``FrameIntake.plausible_records``).
Screen = Callable[[list[FundingPayment]], list[FundingPayment]]
_SEEN_MAX = 5000
_RATE_WINDOW_MS = 5 * 60 * 1000


class BinanceFunding:
    def __init__(self, account: str, store: MonitorStore, signed: Fetch, public: Fetch,
                 screen: Screen | None = None, clock: Clock | None = None) -> None:
        self.account = account
        self.clock = clock or store.clock  # dates its notes (received when the split is made)
        self._screen = screen
        self.store = store
        self._signed = signed
        self._public = public
        self._since_ms: int | None = None
        self._seen: OrderedDict[object, None] = OrderedDict()
        self._pending: dict[str, Settlement] = {}
        self._lock = asyncio.Lock()
        self.splits = 0
        self.mismatches = 0

    async def fetch(self, mode: PositionMode) -> None:
        """One page of new income since the last one; serialized, so a stream trigger and a reconciliation
        never book the same page twice."""
        async with self._lock:
            params = {"incomeType": "FUNDING_FEE", "limit": "1000"}
            if self._since_ms is not None:
                params["startTime"] = str(self._since_ms)
            try:
                pays = parse_income(await self._signed("/fapi/v1/income", params))
            except (RestError, WireError) as exc:
                log.info("%s: funding history unavailable: %s", self.account, exc)
                return
            if self._screen is not None:  # a record with an impossible time is never booked, nor a cursor
                pays = self._screen(pays)
            new = [p for p in pays if payment_key(p) not in self._seen]
            for p in new:
                self._seen[payment_key(p)] = None
            while len(self._seen) > _SEEN_MAX:
                self._seen.popitem(last=False)
            if pays:
                self._since_ms = int(max(p.time for p in pays).timestamp() * 1000)
            if mode is not PositionMode.HEDGE:
                if new:  # one position per symbol: each record is that position's
                    self.store.apply(FundingPaid(self.account, tuple(new)))
                return
            if new:
                self.store.apply(FundingPaid(self.account, tuple(new), legs=()))
                for s in settlements(new):
                    self._pending[s.key] = s
            await self._split_pending()

    async def _split_pending(self) -> None:
        book = self.store.book(self.account)
        for key, s in list(self._pending.items()):
            # The legs open at the settlement: a leg liqwatch first saw after it had no share in it.
            legs = [Leg(p.side, p.size) for p in book.positions()
                    if p.symbol == s.symbol and (opened := self.store.opened_at(self.account, p.key)) is not None
                    and opened <= s.time]
            rate = None
            if len(legs) > 1:
                rate = await self._rate(s)
            result = split(s, legs, rate)
            if result is None:
                continue  # the settled rate is not published yet: try again at the next page
            del self._pending[key]
            if result.legs:
                self.store.apply(FundingPaid(self.account, (), legs=result.legs))
            self.splits += 1
            if not result.reconciled:
                self.mismatches += 1
                self.store.report(FeedNote(
                    self.account, f"{s.symbol} funding at {s.time:%Y-%m-%d %H:%M:%S} UTC: the legs' share "
                    f"{result.computed:+.8f} (size x mark x rate) differs from Binance's income "
                    f"{result.recorded:+.8f} by {result.difference:+.8f}", self.clock.now(), exchange=Exchange.BINANCE,
                    symbol=s.symbol))

    async def _rate(self, s: Settlement) -> SettledRate | None:
        at = int(s.time.timestamp() * 1000)
        params = {"symbol": native(s.symbol), "startTime": str(at - _RATE_WINDOW_MS),
                  "endTime": str(at + _RATE_WINDOW_MS)}
        try:
            return rate_for(s, parse_funding_rates(await self._public("/fapi/v1/fundingRate", params)))
        except (RestError, WireError) as exc:
            log.info("%s: settled funding rate of %s unavailable: %s", self.account, s.symbol, exc)
            return None
