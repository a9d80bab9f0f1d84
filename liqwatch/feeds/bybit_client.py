"""Bybit v5 adapter, its REST side: the read-only allowlist, ``X-BAPI-*`` signing, Bybit's clock, the key's
permissions (``user/query-api``), and turning position rows into positions of the account's margin mode.

The allowlist lives here and only here; ``request_json`` checks every request against it before sending
(and ``_signed`` before signing). Errors sent with HTTP 200 (``retCode`` != 0) are raised by
``feeds.bybit_errors``: its auth codes disable the account as Binance's do.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from liqwatch.feed_channel import ChannelKind
from liqwatch.feed_events import AccountWarnings
from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.feeds.bybit_errors import BYBIT_ERRORS
from liqwatch.feeds.bybit_wire import (
    PriceBounds,
    WirePosition,
    exchange_liquidation,
    native,
    parse_bust_trades,
    parse_position,
    result_list,
    result_of,
    server_time,
)
from liqwatch.feeds.key_permissions import KeyRefused
from liqwatch.feeds.rest import ClockRejected, ReadOnlyGuard, RestError
from liqwatch.feeds.signing import BybitSigner
from liqwatch.feeds.wire import WireError
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition
from liqwatch.model import MarginMode, Position, UnevaluatedPosition
from liqwatch.tiers import TierTable

log = logging.getLogger("liqwatch.feeds.bybit")

#: Bybit's default taker fee rate for USDT perpetuals (non-VIP, "Trading Fee Structure": 0.055%). When the
#: account's own rate (``account/fee-rate``) cannot be read, the fee to close is figured at this rate, with a
#: standing warning, rather than left out: left out, the maintenance margin and liquidation price would be of
#: another definition than Bybit's (no fee to close) and shown fresh as Bybit's, on the side of danger. The
#: default is the highest standard taker rate (VIP and market-maker rates are lower), so the figure errs early
#: (a higher fee, a higher maintenance margin, a liquidation price nearer the mark), never late, and the note
#: says so: a trader can trust a figure that warns a little early and says why over a blank or a silent one.
DEFAULT_TAKER_FEE_RATE = 0.00055
FEE_RATE_FALLBACK_NOTE = (f"Bybit's fee rate could not be read: the fee to close is figured at Bybit's default "
                          f"taker rate {DEFAULT_TAKER_FEE_RATE * 100:g}% (your own may be lower: the liquidation "
                          "price shown may be a little nearer than Bybit's)")

#: position/list's largest page (Bybit v5, Get Position Info: "limit [1, 200], default 20").
POSITION_PAGE_LIMIT = 200
#: Pages read at most: 10 000 positions, beyond any account (every Bybit linear perpetual, both sides, is fewer).
POSITION_PAGES_MAX = 50

#: instruments-info's largest page ("limit [1, 1000], default 500"), and pages read at most (10 000 symbols).
INSTRUMENT_PAGE_LIMIT = 1000
INSTRUMENT_PAGES_MAX = 10
#: The (symbol, side, liqPrice) read as none at a bound remembered to log each once: past this, forgotten.
AT_BOUND_KEPT = 1024

READ_ONLY = ReadOnlyGuard(
    "bybit",
    frozenset(
        {
            ("GET", "/v5/market/time"),
            ("GET", "/v5/market/instruments-info"),
            ("GET", "/v5/market/tickers"),
            ("GET", "/v5/market/risk-limit"),
            ("GET", "/v5/market/mark-price-kline"),
            ("GET", "/v5/position/list"),
            ("GET", "/v5/execution/list"),
            ("GET", "/v5/account/wallet-balance"),
            ("GET", "/v5/account/info"),
            ("GET", "/v5/account/fee-rate"),
            ("GET", "/v5/user/query-api"),
        }
    ),
)
HOW_TO_READ_ONLY = "create a read-only key in Bybit > API Management (\"Read-Only\")"


def key_verdict(payload: Any, allow_trading_key: bool) -> tuple[str | None, tuple[str, ...]]:
    """(why the key is refused or None, standing warnings) from ``user/query-api`` (exchange-rules: readOnly 1;
    warn if no IP is bound, or the key expires soon). A WireError when the answer does not say."""
    result = payload.get("result") if isinstance(payload, dict) else None
    if not isinstance(result, dict) or result.get("readOnly") not in (0, 1):
        raise WireError("query-api: no readOnly flag: a key whose permissions are unknown is not used")
    permissions = result.get("permissions") if isinstance(result.get("permissions"), dict) else {}
    wallet = permissions.get("Wallet") if isinstance(permissions, dict) else None
    if isinstance(wallet, list) and "Withdraw" in wallet:
        return f"the API key can withdraw; liqwatch never uses a key that can withdraw: {HOW_TO_READ_ONLY}", ()
    warnings: list[str] = []
    if result["readOnly"] != 1:
        if not allow_trading_key:
            return (f"the API key is not read-only (readOnly 0): liqwatch only reads: {HOW_TO_READ_ONLY}, or set "
                    "allow_trading_key = true in this account's [[accounts]] entry to accept it"), ()
        warnings.append("the API key can trade (accepted by allow_trading_key = true); a read-only key is safer")
    ips = result.get("ips")
    if not isinstance(ips, list) or not ips or "*" in ips:
        warnings.append("the API key is bound to no IP: anyone holding it can use it from anywhere, and Bybit "
                        "invalidates such keys after 90 days; bind it to your IP in Bybit > API Management")
    days = result.get("deadlineDay")
    if isinstance(days, int) and 0 <= days <= 14:
        warnings.append(f"the API key expires in {days} day(s)")
    return None, tuple(warnings)


class BybitClient(FeedAdapter):
    """State shared by the adapter's parts, and the REST calls they all make."""

    read_only = READ_ONLY
    errors = BYBIT_ERRORS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.account.api_key is None or self.account.api_secret is None:
            raise ValueError(f"{self.account.name}: Bybit needs an API key and secret")
        self.signer = BybitSigner(self.account.api_key, self.account.api_secret)
        self.mark = self.channel("mark", ChannelKind.MARKET)
        self.user = self.channel("user", ChannelKind.QUIET)
        self.tiers: dict[str, TierTable] = {}
        self.fee_rates: dict[str, float] = {}
        self.key_warnings: tuple[str, ...] = ()  # the key's standing warnings, kept to add the fee note to
        self.fee_rate_fallback = False  # account/fee-rate unread: Bybit's default taker rate used, said so
        self.intervals: dict[str, float] = {}
        self.price_bounds: dict[str, PriceBounds] = {}  # instruments-info priceFilter, read at bootstrap
        self._at_bound: set[tuple[str, str, float]] = set()  # each liqPrice read as none at its bound, logged once
        self.margin_mode: MarginMode | None = None
        self.mode_not_modelled: str | None = None

    def _url(self, path: str) -> str:
        return self.account.rest_url.rstrip("/") + path

    async def _public(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self.rest("GET", self._url(path), params=params)

    async def _signed(self, path: str, params: dict[str, str] | None = None, retry_clock: bool = True) -> Any:
        READ_ONLY.check("GET", path)  # before signing (request_json checks again before sending)
        signed = self.signer.sign("GET", path, params or {}, "", self.server_clock.now())
        try:
            return await self.rest("GET", signed.url(self.account.rest_url.rstrip("/"), path),
                                   headers=signed.headers)
        except ClockRejected:  # 10002: our clock drifted from Bybit's; measure it and sign again, once
            if retry_clock:
                await self._sync_time()
                return await self._signed(path, params, retry_clock=False)
            raise

    async def _position_list(self) -> list[Any]:
        """Every row of ``position/list``, page by page: Bybit answers at most ``limit`` rows a page (default
        20, at most 200) and the rest behind ``nextPageCursor``; one page read alone would leave the positions
        past it unseen (and, once seen on the stream, read as closed)."""
        return await self._all_pages(
            "position/list", lambda params: self._signed("/v5/position/list", params),
            {"category": "linear", "settleCoin": "USDT", "limit": str(POSITION_PAGE_LIMIT)}, POSITION_PAGES_MAX)

    async def _instruments(self) -> dict[str, Any]:
        """``market/instruments-info`` (linear) whole, as one answer: Bybit lists 500 a page by default and more
        than 500 linear symbols, so a symbol past the first page would have no funding interval or price bounds."""
        rows = await self._all_pages(
            "instruments-info", lambda params: self._public("/v5/market/instruments-info", params),
            {"category": "linear", "limit": str(INSTRUMENT_PAGE_LIMIT)}, INSTRUMENT_PAGES_MAX)
        return {"result": {"list": rows}}

    @staticmethod
    async def _all_pages(what: str, fetch: Callable[[dict[str, str]], Awaitable[Any]], params: dict[str, str],
                         max_pages: int) -> list[Any]:
        """The rows of every page of a cursor-paged answer. A cursor that repeats, or more pages than
        ``max_pages``, is a broken answer: it is refused whole."""
        rows: list[Any] = []
        cursor = ""
        seen: set[str] = set()
        for _ in range(max_pages):
            payload = await fetch({**params, "cursor": cursor} if cursor else params)
            rows.extend(result_list(payload, what))
            following = result_of(payload, what).get("nextPageCursor")
            if following in (None, ""):
                return rows
            if not isinstance(following, str) or following in seen:
                raise WireError(f"{what}: nextPageCursor {following!r} is not a new cursor")
            seen.add(following)
            cursor = following
        raise WireError(f"{what}: more than {max_pages} pages")

    async def _sync_time(self) -> None:
        before = self.clock.now()
        data = await self._public("/v5/market/time")
        after = self.clock.now()
        try:
            self.server_clock.measure(before, server_time(data), after)
        except WireError as exc:
            raise RestError(f"market/time: {exc}") from None

    async def _check_key(self) -> None:
        """The key's permissions before anything else: one that can withdraw, or trade without
        ``allow_trading_key``, is refused (KeyRefused); warnings stand for the rest."""
        try:
            refused, warnings = key_verdict(await self._signed("/v5/user/query-api"), self.account.allow_trading_key)
        except WireError as exc:
            raise KeyRefused(f"the API key's permissions could not be read: {exc}") from None
        if refused is not None:
            raise KeyRefused(refused)
        self.key_warnings = tuple(warnings)
        self.emit(AccountWarnings(self.account.name, self.key_warnings))

    def position_of(self, w: WirePosition, mode: MarginMode) -> Position | UnevaluatedPosition | None:
        """A position in the account's margin mode, or what is known of it and why it is not evaluated."""
        if w.side is None:
            return None
        exchange_liq = exchange_liquidation(w, self.price_bounds.get(w.symbol))
        if exchange_liq is None and w.liquidation_price is not None:
            seen = (w.symbol, w.side.value, w.liquidation_price)
            if seen not in self._at_bound:
                if len(self._at_bound) >= AT_BOUND_KEPT:  # a new figure in every frame: memory stays bounded
                    self._at_bound.clear()
                self._at_bound.add(seen)
                log.debug("%s: %s %s liqPrice %g is the instrument's price bound: no liquidation price given",
                          self.account.name, w.symbol, w.side.value, w.liquidation_price)
        reason = None
        tiers = self.tiers.get(w.symbol)
        if tiers is None:
            reason = "no risk-limit tiers"
        elif w.entry_price <= 0:
            reason = "entry price 0"
        elif w.leverage is None or w.leverage <= 0:
            reason = "no leverage (the fee to close needs it)"
        elif mode is MarginMode.ISOLATED and w.position_margin <= 0:
            reason = "no position margin"
        if reason is not None or tiers is None:
            return UnevaluatedPosition(w.symbol, w.side, w.size, reason or "no tiers", w.entry_price or None,
                                       w.mark_price, mode, w.leverage, exchange_liq)
        return Position(
            symbol=w.symbol, side=w.side, size=w.size, entry_price=w.entry_price, margin_mode=mode, tiers=tiers,
            leverage=w.leverage, isolated_margin=w.position_margin if mode is MarginMode.ISOLATED else None,
            mark_price=w.mark_price, exchange_liquidation_price=exchange_liq,
            # A unified account's margins include the fee to close, figured with the symbol's taker rate (or,
            # that not read, Bybit's default rate, said on screen: see DEFAULT_TAKER_FEE_RATE).
            taker_fee_rate=self.fee_rates.get(w.symbol, DEFAULT_TAKER_FEE_RATE),
            exchange_break_even_price=w.break_even,
        )

    def _read_rows(self, rows: list[Any]) -> tuple[list[WirePosition], list[UnevaluatedPosition]]:
        """position/list rows, each read on its own: an unreadable one is counted and logged, and what is held of
        its symbol stays listed, not evaluated (never shown as closed); the other rows are evaluated as ever."""
        wire: list[WirePosition] = []
        unreadable: list[UnevaluatedPosition] = []
        for row in rows:
            try:
                wire.append(parse_position(row))
            except WireError as exc:
                self.bad_item("position/list", row, str(exc))
                symbol = str(row.get("symbol")) if isinstance(row, dict) else ""
                unreadable.extend(UnevaluatedPosition.of(p, f"unreadable: {exc}") for p in self.held.positions()
                                  if native(p.symbol) == symbol)
        return wire, unreadable

    async def liquidation_history(self, closed: ClosedSinceLastRun) -> LiquidatedPosition | None:
        """Bybit's own record of the position's liquidation since it was last seen: its BustTrade fills."""
        start = int(closed.since.timestamp() * 1000) - 60_000  # already the exchange's time
        params = {"category": "linear", "symbol": native(closed.symbol), "execType": "BustTrade",
                  "startTime": str(start)}
        try:
            busts = parse_bust_trades(result_list(await self._signed("/v5/execution/list", params), "executions"))
        except WireError as exc:
            raise RestError(f"execution/list: {exc}") from None
        taken = [b for b in busts if b.side is closed.side and b.symbol == closed.symbol]
        if not taken:
            return None
        last = max(taken, key=lambda b: b.time)
        size = sum(b.size for b in taken)
        return LiquidatedPosition(self.account.name, closed.symbol, closed.side, size, last.price, last.time,
                                  size_before=closed.size, partial=size < closed.size, source=closed.source)

    def stamp_time(self, t: datetime | None, receive: datetime) -> datetime:
        return t if t is not None else self.server_clock.exchange_time(receive)
