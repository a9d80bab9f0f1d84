"""Binance USDⓈ-M adapter, its REST side: the read-only allowlist, request signing, the server clock,
and turning ``positionRisk`` rows into positions (or what is known of them and why they are not evaluated).

The allowlist (``READ_ONLY``) lives here and only here; ``request_json`` checks every request against it
before sending (and ``_signed`` before signing). ``liqwatch.feeds.binance`` re-exports it with the adapter.
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from datetime import datetime
from typing import Any

from liqwatch.feed_channel import ChannelKind
from liqwatch.feeds.adapter import FeedAdapter
from liqwatch.feeds.binance_errors import AUTH_CODES, BINANCE_ERRORS, LISTEN_KEY_MISSING, TIMESTAMP_OUTSIDE_WINDOW
from liqwatch.feeds.binance_funding import BinanceFunding
from liqwatch.feeds.binance_wire import WirePosition, unified, unreadable_position
from liqwatch.feeds.rest import ClockRejected, ReadOnlyGuard, RestError
from liqwatch.feeds.signing import BinanceSigner
from liqwatch.feeds.stream import StreamRunner
from liqwatch.feeds.wire import WireError, ms_time
from liqwatch.model import MarginMode, Position, PositionMode, Side, UnevaluatedPosition
from liqwatch.risk_events import FeedNote
from liqwatch.tiers import TierTable

log = logging.getLogger("liqwatch.feeds.binance")  # one logger for the adapter, whichever file

READ_ONLY = ReadOnlyGuard(
    "binance",
    frozenset(
        {
            ("GET", "/fapi/v1/exchangeInfo"),
            ("GET", "/fapi/v1/time"),
            ("GET", "/fapi/v1/premiumIndex"),
            ("GET", "/fapi/v1/leverageBracket"),
            ("GET", "/fapi/v1/fundingInfo"),
            ("GET", "/fapi/v1/fundingRate"),
            ("GET", "/fapi/v1/income"),
            ("GET", "/fapi/v1/markPriceKlines"),
            ("GET", "/fapi/v1/multiAssetsMargin"),  # GET only: POST on the same path switches the mode
            ("GET", "/fapi/v1/forceOrders"),  # the account's own liquidation orders (history)
            ("GET", "/fapi/v2/positionRisk"),
            ("GET", "/fapi/v2/account"),
            ("GET", "/fapi/v2/balance"),
            ("GET", "/sapi/v1/account/apiRestrictions"),
            # The user-data stream's key: needs the API key only, no signature, and moves no funds.
            ("POST", "/fapi/v1/listenKey"),
            ("PUT", "/fapi/v1/listenKey"),
            ("DELETE", "/fapi/v1/listenKey"),
        }
    ),
)
__all__ = ["AUTH_CODES", "LISTEN_KEY_MISSING", "READ_ONLY", "TIMESTAMP_OUTSIDE_WINDOW", "BinanceClient"]


class BinanceClient(FeedAdapter):
    """State shared by the adapter's parts, and the REST calls they all make."""

    read_only = READ_ONLY
    errors = BINANCE_ERRORS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.account.api_key is None or self.account.api_secret is None:
            raise ValueError(f"{self.account.name}: Binance needs an API key and secret")
        self.signer = BinanceSigner(self.account.api_key, self.account.api_secret)
        self.mark = self.channel("mark", ChannelKind.MARKET)
        self.user = self.channel("user", ChannelKind.QUIET)
        self.tiers: dict[str, TierTable] = {}
        self.leverage: dict[str, float] = {}
        self.one_way_side: dict[str, Side] = {}
        self.position_mode = PositionMode.ONE_WAY
        self.listen_key: str | None = None
        self._dialled_key: str | None = None  # the listen key of the user socket's last dial
        self._opened_since_rotation = False  # the user socket opened since the last refusal's rotation
        self._refusal_rotated_at = -math.inf  # monotonic time of the last rotation for a refused handshake
        self._refusals_told = False  # the alert "the user stream keeps being refused" is out
        self.listen_key_time = 0.0
        self.listen_key_rotations = 0
        self.keepalives = 0
        self._rotating = False
        self._sub_id = 0
        self.funding = BinanceFunding(self.account.name, self.sink, self.held, self._signed, self._public,
                                      lambda pays: self.plausible_records("income", pays, lambda p: p.time),
                                      self.clock)
        self._intervals: dict[str, float] = {}  # fundingInfo's adjusted symbols, re-read with each snapshot
        self._intervals_read = False
        self._funding_info_failed = False
        self._unbracketed: set[str] = set()
        self.mode_not_modelled: str | None = None  # Multi-Assets mode: read at start and in every snapshot
        self._mode_known = False
        self._liquidation_fills: set[tuple[Any, Any]] = set()
        # Per leg, the last reduction an ACCOUNT_UPDATE applied: (size before, size after, exchange time),
        # so a liquidation fill reported after its account update still knows the size it was taken from.
        self._reductions: dict[tuple[str, Side], tuple[float, float, datetime]] = {}

    @property
    def market_stream(self) -> StreamRunner | None:
        return self.runner("market")

    @property
    def user_stream(self) -> StreamRunner | None:
        return self.runner("user")

    # --- REST ------------------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return self.account.rest_url.rstrip("/") + path

    async def _public(self, path: str, params: dict[str, str] | None = None) -> Any:
        return await self.rest("GET", self._url(path), params=params)

    async def _signed(self, path: str, params: dict[str, str] | None = None, retry_clock: bool = True,
                      base: str | None = None) -> Any:
        READ_ONLY.check("GET", path)  # before signing (request_json checks again before sending)
        signed = self.signer.sign("GET", path, params or {}, "", self.server_clock.now())
        url = signed.url(base or self.account.rest_url, path)
        try:
            return await self.rest("GET", url, headers=signed.headers)
        except ClockRejected:
            if retry_clock:
                await self._sync_time()
                return await self._signed(path, params, retry_clock=False, base=base)
            raise

    async def _sync_time(self) -> None:
        """Binance's clock against ours (the one receive times are read from), for signing and for judging
        frames' times; measured at every snapshot, so a jump of the local clock is absorbed."""
        before = self.clock.now()
        data = await self._public("/fapi/v1/time")
        after = self.clock.now()
        try:
            self.server_clock.measure(before, ms_time(data, "serverTime"), after)
        except WireError as exc:
            raise RestError(f"time: {exc}") from None

    async def _listen_key(self, method: str) -> Any:
        return await self.rest(method, self._url("/fapi/v1/listenKey"), headers=self.signer.key_headers())

    async def _fetch_funding(self) -> None:
        await self.funding.fetch(self.position_mode)

    def _unevaluated(self, w: WirePosition, reason: str) -> UnevaluatedPosition:
        assert w.side is not None
        return UnevaluatedPosition(
            w.symbol, w.side, w.size, reason, entry_price=w.entry_price if w.entry_price > 0 else None,
            mark_price=w.mark_price, margin_mode=w.margin_mode, leverage=w.leverage or self.leverage.get(w.symbol),
            exchange_liquidation_price=w.liquidation_price,
        )

    def _unreadable_rows(self, rows: list[tuple[Any, str]]) -> list[UnevaluatedPosition]:
        """positionRisk rows that could not be read whole, each counted and logged. One whose symbol, size and
        side are known is a position not evaluated, its reason naming the unreadable field; one whose size is
        not known keeps, for a symbol held, what was last known of its positions, not evaluated (never shown
        as closed); anything else is skipped. The other rows are evaluated as ever."""
        out: list[UnevaluatedPosition] = []
        for item, why in rows:
            self.bad_item("positionRisk", item, why)
            u = unreadable_position(item, why)
            if u is not None:
                out.append(u if u.leverage is not None else replace(u, leverage=self.leverage.get(u.symbol)))
                continue
            if not isinstance(item, dict):
                continue
            try:
                symbol = unified(str(item.get("symbol")))
            except WireError:
                continue
            leg = {"LONG": Side.LONG, "SHORT": Side.SHORT}.get(str(item.get("positionSide", "BOTH")))
            out.extend(UnevaluatedPosition.of(p, f"unreadable: {why}")
                       for p in self.held.positions()
                       if p.symbol == symbol and leg in (None, p.side))
        return out

    def _position(self, w: WirePosition) -> Position | UnevaluatedPosition | None:
        """The position, or what is known of it and why it cannot be evaluated (never dropped)."""
        if w.side is None:
            return None
        tiers = self.tiers.get(w.symbol)
        if tiers is None:
            if w.symbol not in self._unbracketed:  # once per symbol, not on every reconciliation
                self._unbracketed.add(w.symbol)
                self.sink.report(FeedNote(self.account.name, f"no leverage bracket for {w.symbol}; not evaluated",
                                          self.clock.now(), exchange=self.account.exchange, symbol=w.symbol))
            return self._unevaluated(w, "no leverage bracket")
        if w.margin_mode is MarginMode.ISOLATED and w.isolated_wallet is None:
            return self._unevaluated(w, "no isolated wallet")
        return Position(
            symbol=w.symbol, side=w.side, size=w.size, entry_price=w.entry_price, margin_mode=w.margin_mode,
            tiers=tiers, position_mode=self.position_mode, leverage=w.leverage or self.leverage.get(w.symbol),
            isolated_margin=w.isolated_wallet, mark_price=w.mark_price,
            exchange_liquidation_price=w.liquidation_price, exchange_break_even_price=w.break_even_price,
        )
