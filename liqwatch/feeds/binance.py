"""Binance USDⓈ-M adapter: signed REST snapshot, the routed mark-price stream, the user-data stream.

Own REST calls rather than ccxt: ccxt drops the bracket ``cum`` and the isolated wallet we need, and
ignores ``listenKeyExpired``. Streams use Binance's routed paths (``/market/stream``, ``/private/ws``);
the legacy unrouted URLs accept subscriptions and then send nothing.

The adapter is assembled from its parts: ``binance_client`` (allowlist, signing, positions),
``binance_market`` (the mark-price stream) and ``binance_user`` (the user-data stream, the listen key).
This file holds what ties them together: start-up, the snapshot, the streams' set-up and the liquidation
history read at start.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from liqwatch.feed_events import AccountWarnings, FundingIntervalKnown
from liqwatch.feeds.account_modes import binance_multi_assets_mode, binance_portfolio_margin
from liqwatch.feeds.adapter import ModeNotModelled
from liqwatch.feeds.adapter_streams import StreamSpec
from liqwatch.feeds.binance_client import READ_ONLY
from liqwatch.feeds.binance_user import BinanceUser
from liqwatch.feeds.binance_wire import (
    native,
    parse_account_free,
    parse_account_margin_balance,
    parse_account_marks,
    parse_account_wallet,
    parse_brackets,
    parse_funding_info,
    parse_mark_klines,
    parse_position_risk_rows,
)
from liqwatch.feeds.candles import latest_pages, seed_volatility
from liqwatch.feeds.key_permissions import KeyRefused, binance_key_verdict, binance_wallet_base
from liqwatch.feeds.liquidation_history import binance_force_orders, binance_realized
from liqwatch.feeds.rest import ApiError, AuthError, RateLimited, RestError
from liqwatch.feeds.wire import CandleClose, WireError
from liqwatch.funding import default_interval_hours
from liqwatch.liquidations import ClosedSinceLastRun, LiquidatedPosition
from liqwatch.model import AccountSpec, AccountState, Exchange, Position, PositionMode, UnevaluatedPosition

__all__ = ["KLINES_LIMIT", "READ_ONLY", "BinanceAdapter"]

log = logging.getLogger("liqwatch.feeds.binance")  # one logger for the adapter, whichever file

# GET /fapi/v1/markPriceKlines: "limit: Default 500; max 1500" (Binance USDⓈ-M, Mark Price Kline/Candlestick Data).
KLINES_LIMIT = 1500


class BinanceAdapter(BinanceUser):
    # --- bootstrap and snapshots -----------------------------------------------------------------------
    async def bootstrap(self) -> None:
        await self._check_key()
        try:
            self.tiers = parse_brackets(await self._signed("/fapi/v1/leverageBracket"))
        except WireError as exc:
            raise RestError(f"leverageBracket: {exc}") from None
        except AuthError:
            await self._raise_if_portfolio_margin()
            raise
        try:
            self.mode_not_modelled = binance_multi_assets_mode(await self._signed("/fapi/v1/multiAssetsMargin"))
            self._mode_known = True
        except (AuthError, RateLimited):
            raise
        except (RestError, WireError) as exc:  # /fapi/v2/account carries the flag too: read there
            log.warning("%s: multiAssetsMargin unavailable (%s)", self.account.name, exc)
        await self._read_funding_info()

    async def _read_funding_info(self) -> None:
        """Each adjusted symbol's funding interval, read at bootstrap and again with every reconciliation:
        Binance moves symbols between 8, 4 and 1 h while liqwatch runs. A symbol no longer listed is back on
        the default (8 h). Unavailable: the intervals known so far stay (said once per outage)."""
        try:
            intervals, bad = parse_funding_info(await self._public("/fapi/v1/fundingInfo"))
        except (RestError, WireError) as exc:
            if not self._funding_info_failed:
                log.info("%s: fundingInfo unavailable (%s); keeping the intervals known (8 h for the others)",
                         self.account.name, exc)
            self._funding_info_failed = True
            return
        self._funding_info_failed = False
        for item, why in bad:
            self.bad_item("fundingInfo", item, why)
        default = default_interval_hours(Exchange.BINANCE)
        for sym in self._intervals.keys() - intervals.keys():
            self.emit(FundingIntervalKnown(Exchange.BINANCE, sym, default))
        self._intervals = intervals

    async def seed_symbol(self, symbol: str) -> None:
        """σ from Binance's mark-price klines (see liqwatch.feeds.candles)."""
        async def fetch(interval: str, count: int) -> list[CandleClose]:
            async def page(limit: int, end_ms: int | None) -> list[CandleClose]:
                # The latest candles by limit alone, then walking back by endTime: no local clock involved.
                params = {"symbol": native(symbol), "interval": interval, "limit": str(limit)}
                if end_ms is not None:
                    params["endTime"] = str(end_ms)
                return parse_mark_klines(await self._public("/fapi/v1/markPriceKlines", params))

            return await latest_pages(page, count, KLINES_LIMIT)

        await seed_volatility(self.sink, Exchange.BINANCE, symbol, fetch, self.account.name)

    def _wallet_base(self) -> str | None:
        """The wallet endpoints (/sapi) live on the spot host; None where no wallet host is known."""
        return binance_wallet_base(self.account.rest_url)

    async def _check_key(self) -> None:
        """The key's permissions, read before anything else (liqwatch.feeds.key_permissions): a key that can
        withdraw, or trade or transfer without ``allow_trading_key``, is refused (KeyRefused); one accepted
        with more than reading, or without an IP restriction, carries standing warnings."""
        name = self.account.name
        base = self._wallet_base()
        if base is None:  # never called "checked": the trader is told, the key may do more than read
            self.emit(AccountWarnings(name, (
                f"the API key's permissions were not checked: no Binance wallet (/sapi) host is known for "
                f"{self.account.rest_url}; make sure it is a read-only key",)))
            return
        try:
            payload = await self._signed("/sapi/v1/account/apiRestrictions", base=base)
        except ApiError as exc:  # the endpoint is not served there (a testnet, a proxy): say so, go on
            self.emit(AccountWarnings(name, (f"the API key's permissions could not be read ({exc}); "
                                             "make sure it is a read-only key",)))
            return
        try:
            mode = binance_portfolio_margin(payload)
            verdict = binance_key_verdict(payload, self.account.allow_trading_key)
        except WireError as exc:
            raise KeyRefused(f"the API key's permissions could not be read: {exc}") from None
        if mode is not None:
            raise ModeNotModelled(mode)
        if verdict.refused is not None:
            raise KeyRefused(verdict.refused)
        self.emit(AccountWarnings(name, verdict.warnings))

    async def _raise_if_portfolio_margin(self) -> None:
        """The USDⓈ-M API refused the key: a Portfolio Margin account's keys lose it (see account_modes)."""
        base = self._wallet_base()
        if base is None:
            return
        try:
            reason = binance_portfolio_margin(await self._signed("/sapi/v1/account/apiRestrictions", base=base))
        except (RestError, WireError) as exc:
            log.info("%s: apiRestrictions unavailable (%s)", self.account.name, exc)
            return
        if reason is not None:
            raise ModeNotModelled(reason)

    async def fetch_snapshot(self) -> AccountState:
        await self._sync_time()
        as_of = self.early_as_of()  # Binance's time, a second before the request
        try:
            account = await self._signed("/fapi/v2/account")
            risk = await self._signed("/fapi/v2/positionRisk")
            marks = await self._public("/fapi/v1/premiumIndex")
            wallet = parse_account_wallet(account)
            reported_equity = parse_account_margin_balance(account)
            available, withdrawable = parse_account_free(account)
            account_marks = parse_account_marks(account)
            if isinstance(account, dict) and "multiAssetsMargin" in account:  # v2 carries it: a switch shows
                self.mode_not_modelled, self._mode_known = binance_multi_assets_mode(account), True
            if not self._mode_known:  # never "ok" under rules that may not be the account's
                self.mode_not_modelled = "Binance account mode unknown (multiAssetsMargin unreadable)"
            wire, bad_rows = parse_position_risk_rows(risk)
            unreadable = self._unreadable_rows(bad_rows)
            self._apply_marks(marks, {w.symbol for w in wire if w.side is not None} | {u.symbol for u in unreadable})
        except WireError as exc:
            raise RestError(f"snapshot: {exc}") from None
        if self._intervals_read:  # the bootstrap just read them
            await self._read_funding_info()
        self._intervals_read = True
        for sym, hours in self._intervals.items():
            self.emit(FundingIntervalKnown(Exchange.BINANCE, sym, hours))
        if any(w.symbol not in self.tiers for w in wire if w.side is not None):
            self.tiers.update(parse_brackets(await self._signed("/fapi/v1/leverageBracket")))
        positions: list[Position] = []
        unevaluated: list[UnevaluatedPosition] = list(unreadable)
        for w in wire:
            if w.leverage is not None:
                self.leverage[w.symbol] = w.leverage
            if w.position_side in ("LONG", "SHORT"):
                self.position_mode = PositionMode.HEDGE
            if w.side is None:
                continue
            pos = self._position(w) if w.entry_price > 0 else self._unevaluated(w, "entry price 0")
            if isinstance(pos, Position):
                # The account response's own mark (only a fallback for the book, which uses the market's).
                positions.append(replace(pos, mark_price=account_marks.get((w.symbol, w.position_side),
                                                                           pos.mark_price)))
            elif pos is not None:
                unevaluated.append(pos)
            if w.position_side == "BOTH":
                self.one_way_side[w.symbol] = w.side
        await self._fetch_funding()
        return AccountState(AccountSpec(self.account.name, Exchange.BINANCE, self.position_mode), wallet,
                            tuple(positions), as_of=as_of, exchange_margin_balance=reported_equity,
                            unevaluated=tuple(unevaluated), mode_not_modelled=self.mode_not_modelled,
                            exchange_available_balance=available, exchange_withdrawable=withdrawable)

    def stream_specs(self) -> list[StreamSpec]:
        ws = self.account.ws_url.rstrip("/")

        async def market_url() -> str:
            return f"{ws}/market/stream?streams=" + "/".join(self.open_topics())  # the URL subscribes

        async def user_url() -> str:
            if self.listen_key is None:
                await self._new_listen_key()
            self._dialled_key = self.listen_key
            return f"{ws}/private/ws?listenKey={self.listen_key}"

        return [StreamSpec("market", market_url, self._open_market, (self.mark,), self.market_routes(),
                           lean=self.fast_mark),
                StreamSpec("user", user_url, self._open_user, (self.user,), self.user_routes(),
                           on_rejected=self._user_rejected)]

    async def liquidation_history(self, closed: ClosedSinceLastRun) -> LiquidatedPosition | None:
        start = str(int(closed.since.timestamp() * 1000) - 60_000)  # already the exchange's time
        params = {"symbol": native(closed.symbol), "autoCloseType": "LIQUIDATION", "startTime": start}
        liq = binance_force_orders(self.account.name, closed, await self._signed("/fapi/v1/forceOrders", params))
        if liq is None:
            return None
        at = int(liq.time.timestamp() * 1000)
        income = await self._signed("/fapi/v1/income", {"symbol": native(closed.symbol), "incomeType": "REALIZED_PNL",
                                                         "startTime": str(at - 1000), "endTime": str(at + 1000)})
        return replace(liq, realized_pnl=binance_realized(income))

    async def on_resume(self, lost_s: float) -> None:
        """After a suspend the listen key may have expired unseen: keep it alive now, or rotate it (a PUT
        answered -1125 rotates); its 60 minutes ran on the exchange's clock, not on our monotonic one."""
        if self.listen_key is not None and not self._rotating:
            self.listen_key_time = self.clock.monotonic()
            await self._keepalive()

    def on_supervise(self, now: float) -> None:
        if (self.listen_key is not None and not self._rotating
                and now - self.listen_key_time >= self.opts.listen_key_keepalive_s):
            self.listen_key_time = now  # one keepalive per period, even while the PUT is in flight
            self.spawn(self._keepalive())
