"""Hyperliquid wire schemas -> domain values. Nothing here does I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from liqwatch.feeds.wire import (
    CandleClose,
    WireError,
    candle_close,
    ms_time,
    num,
    opt_num,
    plausible_amount,
    plausible_notional,
    text,
)
from liqwatch.model import Exchange, FundingPayment, MarginMode, MarkTick, Position, Side, Stamp, UnevaluatedPosition
from liqwatch.risk.hyperliquid import mmr_from_max_leverage
from liqwatch.tiers import TierTable, TierTableError


def unified(coin: str) -> str:
    return f"{coin}/USDC:USDC"


def coin_of(symbol: str) -> str:
    return symbol.split("/", 1)[0]


def _table_from_tiers(tiers: Any) -> TierTable:
    rows: list[tuple[float, float, float, float | None]] = []
    levs: list[float | None] = []
    bounds = sorted(((num(t, "lowerBound"), num(t, "maxLeverage")) for t in tiers), key=lambda r: r[0])
    for i, (lower, max_lev) in enumerate(bounds):
        cap = bounds[i + 1][0] if i + 1 < len(bounds) else float("inf")
        rows.append((lower, cap, mmr_from_max_leverage(max_lev), None))  # deduction by the recurrence
        levs.append(max_lev)
    try:
        return TierTable.build(rows, max_leverages=levs)
    except TierTableError as exc:
        raise WireError(f"margin table: {exc}") from None


Problems = list[tuple[Any, str]]  # unreadable items of an answer, each with why: counted and logged by the adapter


def parse_meta(meta: Any, bad: Problems | None = None) -> dict[str, TierTable]:
    """``meta`` (or the first element of ``metaAndAssetCtxs``) -> tier table per unified symbol. An unreadable
    margin table or asset is left out (and appended to ``bad``), never a reason to refuse the others; an asset
    whose margin table is unreadable gets no table (not one guessed from its maximum leverage)."""
    if not isinstance(meta, dict) or not isinstance(meta.get("universe"), list):
        raise WireError("meta: missing universe")
    problems: Problems = bad if bad is not None else []
    tables: dict[int, TierTable] = {}
    unreadable: set[int] = set()
    for entry in meta.get("marginTables", []) or []:
        try:
            tid, body = entry
            tid = int(tid)
        except (TypeError, ValueError):
            problems.append((entry, "meta: unreadable marginTables entry"))
            continue
        try:
            tables[tid] = _table_from_tiers(body["marginTiers"])
        except (TypeError, KeyError, WireError) as exc:
            unreadable.add(tid)
            problems.append((entry, f"meta: margin table {tid}: {exc}"))
    out: dict[str, TierTable] = {}
    for asset in meta["universe"]:
        try:
            name = text(asset, "name")
            table_id = asset.get("marginTableId")
            if isinstance(table_id, int) and table_id in unreadable:
                continue
            if isinstance(table_id, int) and table_id in tables:
                out[unified(name)] = tables[table_id]
            else:
                out[unified(name)] = TierTable.flat(mmr_from_max_leverage(num(asset, "maxLeverage")))
        except (WireError, AttributeError, ValueError) as exc:
            problems.append((asset, f"meta: {exc}"))
    return out


def parse_asset_ctx(coin: str, ctx: Any, stamp: Stamp) -> MarkTick:
    return MarkTick(
        Exchange.HYPERLIQUID, unified(coin), num(ctx, "markPx"), stamp,
        oracle_price=opt_num(ctx, "oraclePx"), funding_rate=opt_num(ctx, "funding"),
        by_arrival=True,  # Hyperliquid's contexts carry no time
    )


def parse_meta_and_ctxs(payload: Any, receive: datetime, wanted: set[str] | None = None,
                        bad: Problems | None = None) -> tuple[dict[str, TierTable], list[MarkTick]]:
    """``metaAndAssetCtxs`` -> tier tables and the marks of the ``wanted`` symbols (all when None). The context
    of a coin not wanted is never read, and an unreadable one of a coin wanted is left out (appended to
    ``bad``): one coin's context never makes the others' unusable."""
    if not isinstance(payload, list) or len(payload) != 2:
        raise WireError("metaAndAssetCtxs: expected [meta, ctxs]")
    meta, ctxs = payload
    problems: Problems = bad if bad is not None else []
    tables = parse_meta(meta, problems)
    ticks = []
    stamp = Stamp(receive, receive)  # Hyperliquid sends no timestamp with the contexts
    for asset, ctx in zip(meta["universe"], ctxs if isinstance(ctxs, list) else [], strict=False):
        name = asset.get("name") if isinstance(asset, dict) else None
        if not isinstance(name, str) or (wanted is not None and unified(name) not in wanted):
            continue
        try:
            ticks.append(parse_asset_ctx(name, ctx, stamp))
        except WireError as exc:
            problems.append((ctx, f"{name} context: {exc}"))
    return tables, ticks


@dataclass(frozen=True, slots=True)
class ClearinghouseState:
    time: datetime | None
    wallet_balance: float  # cross account value minus cross unrealized PnL
    account_value: float  # the cross account value (crossMarginSummary), what cross liquidation compares
    total_account_value: float | None  # marginSummary.accountValue: the account's equity, isolated included
    cross_maintenance_margin: float | None
    positions: tuple[Position, ...]
    unevaluated: tuple[UnevaluatedPosition, ...] = ()  # held, but not evaluable (entry 0, no margin table)
    withdrawable: float | None = None  # Hyperliquid's own ``withdrawable``


def _asset_position(p: dict[str, Any], tiers: dict[str, TierTable], symbol: str, szi: float,
                    mode: MarginMode, upnl: float) -> Position | UnevaluatedPosition:
    lev = p.get("leverage") or {}
    liq = opt_num(p, "liquidationPx")
    cum = p.get("cumFunding")
    # Hyperliquid counts funding paid as positive; ours is negative = paid.
    since_open = opt_num(cum, "sinceOpen") if isinstance(cum, dict) else None
    side = Side.LONG if szi > 0 else Side.SHORT
    mark = num(p, "positionValue") / abs(szi) if p.get("positionValue") else None
    entry = num(p, "entryPx")
    plausible_notional(szi, entry, f"{symbol} szi x entryPx")
    if mark is not None:
        plausible_notional(szi, mark, f"{symbol} positionValue")
    table = tiers.get(symbol)
    if table is None and (max_lev := opt_num(p, "maxLeverage")) is not None:
        table = TierTable.flat(mmr_from_max_leverage(max_lev))
    if not entry > 0 or table is None:
        # Shown with what is known, never dropped and never a reason to refuse the whole state.
        reason = "entry price 0" if not entry > 0 else "no margin table"
        return UnevaluatedPosition(
            symbol, side, abs(szi), reason, entry_price=entry if entry > 0 else None,
            mark_price=mark, margin_mode=mode, leverage=opt_num(lev, "value"), exchange_liquidation_price=liq)
    return Position(
        symbol=symbol,
        side=side,
        size=abs(szi),
        entry_price=entry,
        margin_mode=mode,
        tiers=table,
        leverage=opt_num(lev, "value"),
        isolated_margin=num(p, "marginUsed") - upnl if mode is MarginMode.ISOLATED else None,
        exchange_liquidation_price=liq,
        mark_price=mark,
        exchange_roe=opt_num(p, "returnOnEquity"),
        exchange_funding_since_open=0.0 - since_open if since_open is not None else None,  # no "-0.0"
    )


def _unreadable(p: dict[str, Any], symbol: str, szi: float, mode: MarginMode, why: str) -> UnevaluatedPosition:
    """What is known of a position with an unreadable field: not evaluated, the reason naming the field."""
    def known(key: str) -> float | None:
        try:
            return opt_num(p, key)
        except WireError:
            return None

    lev = p.get("leverage")
    try:
        leverage = opt_num(lev, "value") if isinstance(lev, dict) else None
    except WireError:
        leverage = None
    entry = known("entryPx")
    return UnevaluatedPosition(symbol, Side.LONG if szi > 0 else Side.SHORT, abs(szi), f"unreadable: {why}",
                               entry_price=entry if entry else None, margin_mode=mode, leverage=leverage,
                               exchange_liquidation_price=known("liquidationPx"))


def parse_clearinghouse(state: Any, tiers: dict[str, TierTable]) -> ClearinghouseState:
    """A clearinghouseState. A position with an unreadable field is listed as not evaluated (the others are
    evaluated); the state is refused whole only when a position cannot be identified (coin, szi) or when a
    cross position's unrealized PnL is unreadable, since the cross wallet is derived from it."""
    if not isinstance(state, dict):
        raise WireError("clearinghouseState: expected an object")
    cross = state.get("crossMarginSummary") or state.get("marginSummary")
    account_value = num(cross, "accountValue")
    summary = state.get("marginSummary")
    total_value = num(summary, "accountValue") if isinstance(summary, dict) else None
    cross_upnl = 0.0
    positions = []
    unevaluated = []
    for ap in state.get("assetPositions", []) or []:
        p = ap.get("position") if isinstance(ap, dict) else None
        if not isinstance(p, dict):
            raise WireError("assetPositions: entry without position")
        szi = num(p, "szi")
        if szi == 0:
            continue
        symbol = unified(text(p, "coin"))
        lev = p.get("leverage")
        mode = MarginMode.ISOLATED if isinstance(lev, dict) and lev.get("type") == "isolated" else MarginMode.CROSS
        try:
            upnl = num(p, "unrealizedPnl")
        except WireError as exc:
            if mode is MarginMode.CROSS:
                raise WireError(f"{symbol}: {exc} (the cross wallet is derived from it)") from None
            unevaluated.append(_unreadable(p, symbol, szi, mode, str(exc)))
            continue
        if mode is MarginMode.CROSS:
            cross_upnl += upnl
        try:
            pos = _asset_position(p, tiers, symbol, szi, mode, upnl)
        except WireError as exc:
            pos = _unreadable(p, symbol, szi, mode, str(exc))
        if isinstance(pos, Position):
            positions.append(pos)
        else:
            unevaluated.append(pos)
    t = state.get("time")
    return ClearinghouseState(
        time=ms_time(state, "time") if t is not None else None,
        wallet_balance=account_value - cross_upnl,
        account_value=account_value,
        total_account_value=total_value,
        cross_maintenance_margin=opt_num(state, "crossMaintenanceMarginUsed"),
        positions=tuple(positions),
        unevaluated=tuple(unevaluated),
        withdrawable=plausible_amount(opt_num(state, "withdrawable"), "withdrawable", non_negative=True),
    )


def parse_fundings(items: Any) -> list[FundingPayment]:
    """``userFunding`` (REST: entries with ``delta``) or the ``userFundings`` stream (flat entries)."""
    if not isinstance(items, list):
        raise WireError("funding: expected a list")
    out = []
    for it in items:
        d = it.get("delta", it) if isinstance(it, dict) else None
        if not isinstance(d, dict):
            raise WireError("funding: unreadable entry")
        when = ms_time(it, "time")
        coin = text(d, "coin")
        # One settlement per coin per hour: coin and time identify it in both the REST and the stream shape
        # (only the REST one carries a hash), so the two de-duplicate against each other.
        out.append(
            FundingPayment(unified(coin), num(d, "usdc"), when, rate=opt_num(d, "fundingRate"),
                           payment_id=f"{coin}:{int(when.timestamp() * 1000)}")
        )
    return out


def parse_candles(payload: Any) -> list[CandleClose]:
    """``candleSnapshot``: a list of ``{t, T, s, i, o, c, h, l, v, n}`` (open time ``t`` in ms, prices as
    strings), oldest first; only the most recent 5000 candles are available. Source: Hyperliquid info endpoint,
    https://hyperliquid.gitbook.io/hyperliquid-docs/for-developers/api/info-endpoint#candle-snapshot
    """
    if not isinstance(payload, list):
        raise WireError("candleSnapshot: expected a list")
    out = []
    for item in payload:
        if not isinstance(item, dict):
            raise WireError("candleSnapshot: a candle is not an object")
        out.append(candle_close(item.get("t"), item.get("c"), "candleSnapshot"))
    return out


def parse_predicted_fundings(payload: Any) -> dict[str, datetime]:
    """``predictedFundings`` -> Hyperliquid's own next settlement time per unified symbol (venue ``HlPerp``).

    ``[[coin, [[venue, {fundingRate, nextFundingTime, ...} | null], ...]], ...]``; other venues' entries
    (Binance's, Bybit's) are ignored."""
    if not isinstance(payload, list):
        raise WireError("predictedFundings: expected a list")
    out: dict[str, datetime] = {}
    for entry in payload:
        if not (isinstance(entry, list) and len(entry) == 2 and isinstance(entry[0], str)
                and isinstance(entry[1], list)):
            raise WireError("predictedFundings: unreadable entry")
        for venue in entry[1]:
            if (isinstance(venue, list) and len(venue) == 2 and venue[0] == "HlPerp"
                    and isinstance(venue[1], dict) and venue[1].get("nextFundingTime") is not None):
                out[unified(entry[0])] = ms_time(venue[1], "nextFundingTime")
    return out


#: A taker fee rate at or beyond this is no fee schedule's (the risk rules refuse it: liqwatch.risk.base).
MAX_TAKER_FEE_RATE = 0.1


def parse_user_fees(payload: Any) -> float:
    """``userFees`` -> ``userCrossRate``: the taker ("cross") fee rate this user pays on perpetuals, its
    volume tier, referral and staking discounts applied (Hyperliquid info endpoint, "Query a user's fees").
    Refused (WireError) when it is not a rate in [0, ``MAX_TAKER_FEE_RATE``)."""
    if not isinstance(payload, dict):
        raise WireError("userFees: expected an object")
    rate = num(payload, "userCrossRate")
    if not 0.0 <= rate < MAX_TAKER_FEE_RATE:
        raise WireError(f"userFees: userCrossRate {rate:g} is not a fee rate in [0, {MAX_TAKER_FEE_RATE:g})")
    return rate
