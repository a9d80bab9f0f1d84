"""OKX v5 adapter, its REST side: the read-only allowlist, signing, the key check at start (``account/config``),
and the account's whole state (``account/balance`` + ``account/positions``) as the engine's objects.

The allowlist (``READ_ONLY``) lives here and only here; ``liqwatch.feeds.okx`` re-exports it with the adapter.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from liqwatch.feed_channel import ChannelKind
from liqwatch.feed_events import AccountWarnings, NextFundingTime
from liqwatch.feeds.account_modes import okx_account_mode
from liqwatch.feeds.adapter import FeedAdapter, ModeNotModelled
from liqwatch.feeds.candles import latest_pages, seed_volatility
from liqwatch.feeds.key_permissions import KeyRefused, KeyVerdict
from liqwatch.feeds.okx_errors import OKX_ERRORS
from liqwatch.feeds.okx_wire import (
    AccountConfig,
    Balance,
    FundingRow,
    Instrument,
    TierRow,
    WirePosition,
    data_of,
    inst_id_of,
    mmr_for,
    parse_balance,
    parse_config,
    parse_funding_bills,
    parse_funding_rate,
    parse_instruments,
    parse_mark,
    parse_mark_candles,
    parse_position_tiers,
    parse_positions,
    usdt_equity,
)
from liqwatch.feeds.rest import ClockRejected, ReadOnlyGuard, RestError
from liqwatch.feeds.signing import OkxSigner
from liqwatch.feeds.wire import CandleClose, WireError, ms_time
from liqwatch.funding_ledger import FundingPaid
from liqwatch.model import (
    AccountSpec,
    AccountState,
    Exchange,
    MarginMode,
    MarkTick,
    Position,
    PositionMode,
    UnevaluatedPosition,
)
from liqwatch.tiers import TierTable

log = logging.getLogger(__name__)


READ_ONLY = ReadOnlyGuard("okx", frozenset({
    ("GET", "/api/v5/public/time"),
    ("GET", "/api/v5/public/instruments"),
    ("GET", "/api/v5/public/mark-price"),
    ("GET", "/api/v5/public/funding-rate"),
    ("GET", "/api/v5/public/position-tiers"),
    ("GET", "/api/v5/account/config"),
    ("GET", "/api/v5/account/balance"),
    ("GET", "/api/v5/account/positions"),
    ("GET", "/api/v5/account/bills"),
    ("GET", "/api/v5/market/mark-price-candles"),
}))
#: market/mark-price-candles: "The maximum is 100" rows a page (OKX v5 docs).
CANDLES_LIMIT = 100
_BARS = {"1h": "1H", "1m": "1m"}
#: OKX's regular-user (Lv1) taker rate for USDT swaps: the fee term of its margin ratio, when the account's
#: own rate is not configured.
DEFAULT_TAKER = 0.0005
#: ``account/config`` acctLv of multi-currency margin, whose cross equity is ``adjEq``.
MULTI_CURRENCY_LEVEL = "3"
#: ``account/config`` perm words, as OKX prints them: any other is a permission that cannot be judged.
_KNOWN_PERMS = frozenset({"read_only", "trade", "withdraw"})
_HOW_TO_READ_ONLY = "create a key with the Read permission only (OKX > API > Create API key)"


def okx_key_verdict(config: AccountConfig, allow_trading_key: bool) -> KeyVerdict:
    """The verdict on one OKX key from its ``account/config`` row (``perm``, the bound ``ip``): shared by the
    native adapter and the generic (ccxt) path. A key that can withdraw, or whose permissions are not stated or
    not known, is refused; one that can trade only with ``allow_trading_key``."""
    perms = {p.strip() for p in config.perm.split(",") if p.strip()}
    warnings: list[str] = []
    if not perms:
        return KeyVerdict(f"the API key's permissions are not stated (perm {config.perm!r}); liqwatch never uses "
                          f"a key whose permissions are unknown: {_HOW_TO_READ_ONLY}", ())
    unknown = perms - _KNOWN_PERMS
    if unknown:
        return KeyVerdict(f"the API key has a permission liqwatch does not know ({', '.join(sorted(unknown))!r} "
                          f"in perm {config.perm!r}); a key whose permissions are unknown is never used: "
                          f"{_HOW_TO_READ_ONLY}", ())
    if "withdraw" in perms:
        return KeyVerdict(f"the API key can withdraw funds (perm {config.perm!r}); liqwatch never uses a key "
                          f"that can withdraw: {_HOW_TO_READ_ONLY}", ())
    if perms - {"read_only"}:
        if not allow_trading_key:
            return KeyVerdict(f"the API key can trade (perm {config.perm!r}); liqwatch only reads: "
                              f"{_HOW_TO_READ_ONLY}, or set allow_trading_key = true in this account's "
                              "[[accounts]] entry to accept it", ())
        warnings.append(f"the API key can trade (perm {config.perm!r}, accepted by allow_trading_key = true)"
                        "; a read-only key is safer")
    if not config.ip:
        warnings.append("the API key is bound to no IP address: anyone holding it can use it from anywhere; "
                        "bind it to your IP in OKX > API")
    return KeyVerdict(None, tuple(warnings))


def leg_key(inst_id: str, pos_side: str) -> str:
    """A position's identity: its instrument, and its side in long/short mode ("net" in net mode)."""
    return f"{inst_id}:{pos_side}"


@dataclass(frozen=True, slots=True)
class Pushed:
    """The account as the private socket last said it (the last REST snapshot, then each push merged in): what
    the wallet of an ``account`` push is derived from (equity less the cross positions' uPnL, less the isolated
    positions' margin and uPnL). The store is given each push's own facts (a position update, a wallet), each
    dated by the push, never a merged whole state: a merged state re-dates every part by its oldest one."""

    balance: Balance | None
    positions: dict[str, WirePosition]


class OkxClient(FeedAdapter):
    """State shared by the adapter's parts, and the REST calls they make."""

    read_only = READ_ONLY
    errors = OKX_ERRORS
    mark_stream_name = "public"
    heartbeat_symbol = "BTC/USDT:USDT"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        a = self.account
        if a.api_key is None or a.api_secret is None or a.passphrase is None:
            raise ValueError(f"{a.name}: OKX needs an API key, its secret and its passphrase")
        self.signer = OkxSigner(a.api_key, a.api_secret, a.passphrase)
        self.mark = self.channel("mark", ChannelKind.MARKET)
        self.user = self.channel("user", ChannelKind.QUIET)
        self.instruments: dict[str, Instrument] = {}
        self.tiers: dict[str, list[TierRow]] = {}  # by instFamily
        self.acct_lv = ""
        self.pings = 0
        self.notices = 0
        self._pushed = Pushed(None, {})
        self._bills_since: set[str] = set()
        self.funding_rates: dict[str, FundingRow] = {}

    # --- REST --------------------------------------------------------------------------------------------
    def _url(self, path: str) -> str:
        return self.account.rest_url.rstrip("/") + path

    async def _public(self, path: str, params: dict[str, str] | None = None) -> list[Any]:
        return data_of(await self.rest("GET", self._url(path), params=params), path)

    async def _signed(self, path: str, params: dict[str, str] | None = None, retry_clock: bool = True
                      ) -> list[Any]:
        READ_ONLY.check("GET", path)  # before signing (request_json checks again before sending)
        signed = self.signer.sign("GET", path, params or {}, "", self.server_clock.now())
        try:
            body = await self.rest("GET", signed.url(self.account.rest_url, path), headers=signed.headers)
        except ClockRejected as exc:  # 50102/50112: measure OKX's clock, sign again once
            if not retry_clock:
                # Refused again on a clock just measured: say what to look at (the clock, not the key).
                raise ClockRejected(f"{exc} (refused again after OKX's clock was measured, offset "
                                    f"{self.server_clock.offset_s:+.1f} s: check this machine's clock; "
                                    "retried with backoff)", exc.code, exc.status) from None
            await self._sync_time()
            return await self._signed(path, params, retry_clock=False)
        return data_of(body, path)

    async def _sync_time(self) -> None:
        before = self.clock.now()
        rows = await self._public("/api/v5/public/time")
        try:
            self.server_clock.measure(before, ms_time(rows[0] if rows else None, "ts"), self.clock.now())
        except WireError as exc:
            raise RestError(f"public/time: {exc}") from None

    # --- start-up ----------------------------------------------------------------------------------------
    async def bootstrap(self) -> None:
        await self._sync_time()
        await self._check_key()
        bad: list[tuple[Any, str]] = []
        try:
            self.instruments = parse_instruments(await self._public("/api/v5/public/instruments",
                                                                    {"instType": "SWAP"}), bad)
        except WireError as exc:
            raise RestError(f"instruments: {exc}") from None
        for item, why in bad:
            self.bad_item("instruments", item, why)

    async def _check_key(self) -> None:
        """``account/config``: the key's ``perm`` and bound ``ip``, and the account level (acctLv)."""
        rows = await self._signed("/api/v5/account/config")
        try:
            mode = okx_account_mode({"data": rows})
            config = parse_config(rows)
        except WireError as exc:
            raise KeyRefused(f"the API key's permissions could not be read: {exc}") from None
        if mode is not None:
            raise ModeNotModelled(mode)
        self.acct_lv = config.acct_lv
        verdict = okx_key_verdict(config, self.account.allow_trading_key)
        if verdict.refused is not None:
            raise KeyRefused(verdict.refused)
        self.emit(AccountWarnings(self.account.name, verdict.warnings))

    async def seed_symbol(self, symbol: str) -> None:
        """σ from OKX's mark-price candles (see liqwatch.feeds.candles), walking back with ``after``."""
        async def fetch(interval: str, count: int) -> list[CandleClose]:
            async def page(limit: int, end_ms: int | None) -> list[CandleClose]:
                params = {"instId": inst_id_of(symbol), "bar": _BARS[interval], "limit": str(limit)}
                if end_ms is not None:
                    params["after"] = str(end_ms + 1)  # OKX: records earlier than ``after``
                return parse_mark_candles(await self._public("/api/v5/market/mark-price-candles", params))

            return await latest_pages(page, count, CANDLES_LIMIT)

        await seed_volatility(self.sink, Exchange.OKX, symbol, fetch, self.account.name)

    async def _tiers_of(self, families: set[str]) -> None:
        """The tiers of each family not read yet, one request each (OKX caps the families a request may name)."""
        for family in sorted(families - set(self.tiers)):
            rows = await self._public("/api/v5/public/position-tiers",
                                      {"instType": "SWAP", "tdMode": "cross", "instFamily": family})
            try:
                self.tiers.update(parse_position_tiers(rows))
            except WireError as exc:
                raise RestError(f"position-tiers: {exc}") from None

    # --- snapshots ---------------------------------------------------------------------------------------
    async def fetch_snapshot(self) -> AccountState:
        before = self.clock.now()
        await self._sync_time()
        try:
            balance = self.checked_balance(parse_balance(await self._signed("/api/v5/account/balance")))
        except WireError as exc:
            raise RestError(f"account/balance: {exc}") from None
        bad: list[tuple[Any, str]] = []
        wires = parse_positions(await self._signed("/api/v5/account/positions", {"instType": "SWAP"}), bad)
        for item, why in bad:
            self.bad_item("positions", item, why)
        await self._tiers_of({self.instruments[w.symbol].family for w in wires if w.symbol in self.instruments})
        await self._marks_and_funding({w.inst_id for w in wires})
        await self._funding_bills()
        as_of = balance.time or self.early_as_of(before)
        self._pushed = Pushed(balance, {leg_key(w.inst_id, w.side.value if w.hedge else "net"): w for w in wires})
        return self._state(balance, wires, as_of, from_stream=False)

    async def _marks_and_funding(self, inst_ids: set[str]) -> None:
        for inst_id in sorted(inst_ids | {inst_id_of(s) for s in self.account.symbols}):
            try:
                for row in await self._public("/api/v5/public/funding-rate", {"instId": inst_id}):
                    self._note_funding(parse_funding_rate(row))
                for row in await self._public("/api/v5/public/mark-price", {"instType": "SWAP", "instId": inst_id}):
                    self.apply_rest_mark("mark-price", self._with_funding(parse_mark(row, self.clock.now())))
            except WireError as exc:
                self.bad_item("mark-price", inst_id, str(exc))

    async def _funding_bills(self) -> None:
        """Funding fees (bills of type 8), each booked once (the store de-duplicates by bill id too)."""
        try:
            bad: list[tuple[Any, str]] = []
            pays = parse_funding_bills(await self._signed("/api/v5/account/bills", {"instType": "SWAP",
                                                                                    "type": "8"}), bad)
        except (RestError, WireError) as exc:
            log.info("%s: funding bills unavailable: %s", self.account.name, exc)
            return
        fresh = [p for p in self.plausible_records("bills", pays, lambda p: p.time)
                 if p.payment_id not in self._bills_since]
        if fresh:
            self._bills_since.update(str(p.payment_id) for p in fresh)
            self.emit(FundingPaid(self.account.name, tuple(fresh)))

    def checked_balance(self, balance: Balance) -> Balance:
        """``balance`` if it carries this account's own equity, else WireError: a multi-currency margin account's
        cross equity is ``adjEq`` alone (USDT's ``eq`` is another definition), so a balance without it is refused
        whole, never read as a single-currency one."""
        if self.acct_lv == MULTI_CURRENCY_LEVEL and balance.adj_eq is None:
            raise WireError("a multi-currency margin account's balance without adjEq (its cross equity)")
        return balance

    def _note_funding(self, f: FundingRow) -> None:
        """OKX sends the rate on its own channel: kept, and carried on the symbol's next marks."""
        self.funding_rates[f.symbol] = f
        self.emit(NextFundingTime(Exchange.OKX, f.symbol, f.next_time))

    def _with_funding(self, tick: MarkTick) -> MarkTick:
        f = self.funding_rates.get(tick.symbol)
        return tick if f is None else replace(tick, funding_rate=f.rate, next_funding_time=f.next_time)

    def _position(self, w: WirePosition) -> Position | UnevaluatedPosition:
        inst = self.instruments.get(w.symbol)
        tiers = self.tiers.get(inst.family) if inst is not None else None
        size = abs(w.contracts) * inst.ct_val if inst is not None else 0.0
        if inst is None or not tiers:
            why = "no instrument" if inst is None else "no position tiers"
            # Without the instrument its contract size (ctVal) is not known: no size, never contracts as coins.
            return UnevaluatedPosition(w.symbol, w.side, size if inst is not None else None, why,
                                       entry_price=w.entry_price,
                                       mark_price=w.mark_price, margin_mode=w.margin_mode, leverage=w.leverage,
                                       exchange_liquidation_price=w.liquidation_price)
        if w.margin_mode is MarginMode.ISOLATED and w.isolated_margin is None:
            return UnevaluatedPosition(w.symbol, w.side, size, "no isolated margin", entry_price=w.entry_price,
                                       mark_price=w.mark_price, margin_mode=w.margin_mode, leverage=w.leverage,
                                       exchange_liquidation_price=w.liquidation_price)
        # The tier is fixed by the contracts held, whatever the price: a flat table at its rate.
        return Position(symbol=w.symbol, side=w.side, size=size, entry_price=w.entry_price,
                        margin_mode=w.margin_mode, tiers=TierTable.flat(mmr_for(tiers, w.contracts)),
                        position_mode=PositionMode.HEDGE if w.hedge else PositionMode.ONE_WAY,
                        leverage=w.leverage, isolated_margin=w.isolated_margin, mark_price=w.mark_price,
                        exchange_liquidation_price=w.liquidation_price, taker_fee_rate=DEFAULT_TAKER,
                        exchange_break_even_price=w.break_even_price)

    def _state(self, balance: Balance, wires: list[WirePosition], as_of: datetime | None, *, from_stream: bool
               ) -> AccountState:
        """The account as OKX counts it: the cross equity is USDT's (single-currency) or ``adjEq`` (multi-
        currency: every currency at its discount rate, less liabilities and interest); the wallet is that
        equity less the cross positions' uPnL, which the engine adds back at its own marks. The exchange's
        equity beside ours is the account's whole: the cross equity plus the isolated positions' (USDT ``eq``
        holds them in a single-currency account; ``adjEq`` does not)."""
        equity, cross_upl, iso = usdt_equity(balance, wires)
        positions: list[Position] = []
        unevaluated: list[UnevaluatedPosition] = []
        for w in wires:
            p = self._position(w)
            (positions if isinstance(p, Position) else unevaluated).append(p)  # type: ignore[arg-type]
        return AccountState(AccountSpec(self.account.name, Exchange.OKX), equity - cross_upl, tuple(positions),
                            as_of=as_of, from_stream=from_stream, exchange_margin_balance=equity + iso,
                            unevaluated=tuple(unevaluated))
