"""The generic adapter: any exchange ccxt knows (``exchange = "ccxt"`` with its ``ccxt_id``), watched with
the same channel states and freshness rules as the native adapters, the exchange's figures only.

- A read-only ccxt instance (``ccxt_instance.create_exchange``: the method wrapper, the (method, path) request
  guard, the socket guard, no redirects), its key's permissions checked where ccxt exposes a read of them.
- Every state applied is a REST snapshot (``fetch_positions`` + ``fetch_balance``): ccxt's position and balance
  streams are read as "something changed", which takes a snapshot at once (``ccxt_streams``); the resync at
  every (re)connect and the periodic reconciliation are the base's. ccxt does not re-snapshot after a reconnect
  and derives some unified fields itself, so its caches are never taken as state.
- Marks from ``watch_mark_prices`` / ``watch_tickers`` where the exchange's ``has`` says so, else polled at a
  rate inside its ``rateLimit``; a mark counts as data only once the store applied it, so a watch call that
  returns old data, or never returns, leaves the channel to go STALE by its age.
- Every ccxt call is bounded in time (``ccxt_errors.bounded``): ccxt can wait forever on a dead connection.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.feed_events import AccountWarnings
from liqwatch.feeds.adapter import AccountUnusable, FeedAdapter
from liqwatch.feeds.ccxt_errors import bounded
from liqwatch.feeds.ccxt_guard import ReadOnlyExchange
from liqwatch.feeds.ccxt_streams import CcxtStreams
from liqwatch.feeds.ccxt_wire import reported_balance, reported_position, settlement_currency
from liqwatch.feeds.feed_stream import FeedStream
from liqwatch.feeds.rest_errors import AuthError, RestError
from liqwatch.feeds.wire import WireError
from liqwatch.model import AccountSpec, AccountState, ReportedPosition
from liqwatch.redact import redact

log = logging.getLogger(__name__)

#: A unified read may make several requests, each waiting its turn in ccxt's throttle (Hyperliquid's
#: fetch_positions: one per perp dex), under ccxt's own per-request timeout: bounded at this many request limits.
REST_CALL_FACTOR = 3

#: ccxt options by id: perpetual swaps by default, and no wallet-wide currency reads where ccxt makes them
#: (Binance's /sapi coin list, which an API key for futures only may not read).
ID_OPTIONS: dict[str, dict[str, Any]] = {
    "binanceusdm": {"fetchCurrencies": False},
    "bybit": {"defaultType": "swap", "loadAllOptions": False},
    "okx": {"defaultType": "swap"},
}


class CcxtAdapter(FeedAdapter, CcxtStreams):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        account = self.account
        if not account.ccxt_id:
            raise ValueError(f"account {account.name!r}: exchange \"ccxt\" needs ccxt_id (e.g. \"krakenfutures\")")
        self.ccxt_id = account.ccxt_id
        self.exchange_id = account.market_exchange
        self.ccxt_options = merged_options(
            # Every state is a REST snapshot of ours: ccxt's own snapshot behind watch_positions is a request
            # more, and one still running when the instance closes leaves an exception no one retrieves.
            {"watchPositions": {"fetchPositionsSnapshot": False}},
            ID_OPTIONS.get(self.ccxt_id, {}),
            # ccxt's keepalive at the configured ping interval: a half-open socket is found as soon as a native one.
            {"ws": {"keepAlive": max(50, int(self.opts.ping_interval_s * 1000))}},
            account.ccxt_options or {})
        self.account_ch = self.channel("account", ChannelKind.QUIET)
        self.marks_ch = self.channel("marks", ChannelKind.MARKET)
        self.ex: ReadOnlyExchange | None = None
        self.watched: set[str] = set(account.symbols)  # unified symbols whose marks are watched
        self.snapshots = 0
        self._last_as_of = datetime.min.replace(tzinfo=UTC)
        self.init_streams()

    # --- FeedAdapter ---------------------------------------------------------------------------------------
    async def bootstrap(self) -> None:
        from liqwatch.feeds import ccxt_instance, ccxt_keys  # ccxt itself is imported only now

        if self.ex is None:
            try:
                self.ex = ccxt_instance.create_exchange(self.account, options=self.ccxt_options,
                                                        enable_rate_limit=True)
            except (ccxt_instance.UnknownCcxtExchange, ccxt_instance.RefusedCcxtOption) as exc:
                raise AccountUnusable(str(exc)) from None
        ex = self.ex
        await bounded(ex.load_markets(), self.opts.request_timeout_s * 3, f"{self.ccxt_id} load_markets")
        if self.account.api_key is not None:
            warnings = await bounded(ccxt_keys.require_read_only(ex, self.account.allow_trading_key),
                                     self.opts.request_timeout_s, f"{self.ccxt_id} key permissions")
            if warnings is None:
                warnings = (f"ccxt {self.ccxt_id}: liqwatch cannot read this exchange's API key permissions; use "
                            "a read-only key (it never sends an order, but a key that can trade is a risk)",)
            self.emit(AccountWarnings(self.account.name, tuple(warnings)))
        # What the account holds, before the streams open: its marks are watched from the first call (the
        # account stream's opening resyncs again).
        self.after_snapshot(await self.fetch_snapshot())
        unknown = sorted(s for s in self.watched if s not in (ex.markets or {}))
        if unknown:  # a typo in the configuration costs that symbol, never the account
            self.watched -= set(unknown)
            self.last_error = (f"ccxt {self.ccxt_id}: unknown symbol(s) {', '.join(unknown)} not watched (use "
                               "ccxt's unified symbols, e.g. BTC/USDT:USDT)")
            log.warning("%s: %s", self.account.name, self.last_error)

    async def fetch_snapshot(self) -> AccountState:
        ex = self._exchange()
        # Before the requests: a snapshot is at least this new. ccxt's answers carry no time of the account's,
        # so the local wall clock dates them, never going back: a clock stepped back (NTP) must not make every
        # snapshot after it older than the last one applied (the store would ignore them for that long).
        as_of = self._last_as_of = max(self.clock.now(), self._last_as_of + timedelta(microseconds=1))
        started = self.clock.monotonic()
        limit = REST_CALL_FACTOR * self.opts.request_timeout_s
        rows = await bounded(ex.fetch_positions(), limit, f"{self.ccxt_id} fetch_positions")
        balance = await bounded(ex.fetch_balance(), limit, f"{self.ccxt_id} fetch_balance")
        self.timed("snapshot", self.clock.monotonic() - started)
        if not isinstance(rows, list) or not isinstance(balance, dict):
            raise RestError(f"{self.ccxt_id}: positions or balance not in ccxt's unified shape")
        markets = ex.markets or {}
        try:
            positions = [p for row in rows if isinstance(row, dict)
                         and (p := reported_position(row, self.ccxt_id, markets.get(row.get("symbol")))) is not None]
            if len(rows) != sum(1 for r in rows if isinstance(r, dict)):
                raise WireError("a position row that is not an object")
            _no_duplicates(positions)
            currency = settlement_currency(markets, [p.symbol for p in positions], balance.get("total"))
            bal = reported_balance(balance, self.ccxt_id, currency)
        except WireError as exc:  # never a state applied in part
            raise RestError(f"{self.ccxt_id}: unreadable answer: {exc}") from None
        self.snapshots += 1
        return AccountState(
            spec=AccountSpec(self.account.name, self.exchange_id),
            wallet_balance=bal.wallet_balance if bal.wallet_balance is not None else bal.equity,
            as_of=as_of, reported=tuple(positions), reported_balance=bal)

    def after_snapshot(self, state: AccountState) -> None:
        """What the account holds is watched: new symbols join the mark watch at its next call."""
        held = {p.symbol for p in state.reported}
        if not held <= self.watched:
            self.watched |= held
            self.symbols_changed()

    def build_streams(self) -> list[FeedStream]:
        return self.ccxt_streams()

    def stream_of(self, channel: Channel) -> FeedStream | None:
        return self.stream_feeding(channel)

    async def resubscribe(self, channel: Channel) -> None:
        """A mark channel subscribed but silent: ccxt has no unsubscribe to lean on, so its sockets are dialled
        anew (the base asks this once, then a reconnect if it did not help)."""
        if channel is self.marks_ch and not self.polls_marks():  # a poll is no subscription: it just goes on
            stream = self.stream_feeding(channel)
            if stream is not None:
                stream.force_reconnect("marks subscribed but silent")

    async def seed_symbol(self, symbol: str) -> None:
        """σ from the live marks only: candle reads are not on every exchange's list of reads."""

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            for fut in self._pending.values():  # no watch call outlives the feed
                fut.cancel()
            self._pending.clear()
            if self.ex is not None:
                ex, self.ex = self.ex, None
                try:  # bounded: a peer that never completes the closing handshake must not hold the stop
                    async with asyncio.timeout(self.opts.request_timeout_s):
                        await ex.close()
                except Exception as exc:  # closing is best effort: the process is stopping this feed
                    log.debug("%s: closing ccxt: %s", self.account.name, redact(str(exc)) or type(exc).__name__)

    # --- for the streams -------------------------------------------------------------------------------------
    def _exchange(self) -> ReadOnlyExchange:
        if self.ex is None:
            raise RestError(f"{self.ccxt_id}: not bootstrapped")
        return self.ex

    async def snapshot_on_change(self) -> None:
        """The stream said positions or the balance changed: a snapshot now, applied as one taken in plain
        sight (a position missing from it closed on the stream, not while the stream was blind)."""
        try:
            state = await self.fetch_snapshot()
        except AuthError as exc:
            self.key_refused(exc)
            return
        except RestError as exc:
            self.last_error = str(exc)
            log.warning("%s: snapshot after a change failed: %s", self.account.name, self.last_error)
            return
        self.apply_snapshot(replace(state, from_stream=True))
        self.after_snapshot(state)
        self.account_ch.data(self.clock.monotonic())


def merged_options(*layers: dict[str, Any]) -> dict[str, Any]:
    """ccxt options, each layer over the ones before, nested tables merged (``ws`` of the account's over ours)."""
    out: dict[str, Any] = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, dict) and isinstance(out.get(key), dict):
                out[key] = merged_options(out[key], value)
            else:
                out[key] = value
    return out


def _no_duplicates(positions: list[ReportedPosition]) -> None:
    seen: set[tuple[str, Any]] = set()
    for p in positions:
        if p.key in seen:
            raise WireError(f"{p.symbol} {p.side.value} listed twice")
        seen.add(p.key)
