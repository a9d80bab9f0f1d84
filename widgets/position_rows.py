"""The positions pane: one row per position of the selected account, or of every account."""

from __future__ import annotations

import math
from datetime import datetime

from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import MarginMode
from liqwatch.status import Status
from liqwatch.store import AccountView, MonitorSnapshot, PositionView
from widgets import fmt
from widgets.funding_view import seconds_to_next
from widgets.keyed_table import Column
from widgets.levels import status_cell, status_tag
from widgets.table_model import Entry

#: Beyond this relative difference the exchange's own liquidation price is shown beside ours.
EXCHANGE_LIQ_TOLERANCE = 0.001

COLUMNS = (
    Column("account", "account", 12, "left"),
    Column("symbol", "symbol", 14, "left"),
    Column("side", "side", 5, "left"),
    Column("status", "status", 7, "left"),
    Column("dist", "dist%", 7),
    Column("sigma", "dist σ", 6),
    Column("mark", "mark", 10),
    Column("liq", "liq", 10),
    Column("exch_liq", "exch liq", 10),
    Column("ratio", "margin", 7),
    Column("upnl", "uPnL", 11),
    Column("roe", "ROE", 8),
    Column("size", "size", 9),
    Column("notional", "notional", 9),
    Column("entry", "entry", 10),
    Column("funding", "fund paid", 9),
    Column("next", "next fund", 9),
    Column("countdown", "in", 8),
    Column("leverage", "lev", 4),
    Column("mode", "mode", 5, "left"),
    Column("fresh", "fresh", 9, "left"),
)
FIXED_COLUMNS = 2  # account and symbol stay put while the rest scrolls sideways


def position_key(account: str, p: PositionView) -> str:
    return f"{account}|{p.risk.symbol}|{p.risk.side.value}"


def roe_pct(p: PositionView) -> float | None:
    im = p.risk.initial_margin
    return p.risk.unrealized_pnl / im * 100.0 if im else None


def exchange_liq(p: PositionView) -> float | None:
    """The exchange's liquidation price when it differs from ours by more than the tolerance."""
    diff = fmt.relative_diff(p.risk.exchange_liquidation_price, p.risk.liquidation_price)
    if p.risk.exchange_liquidation_price is not None and (diff is None or diff > EXCHANGE_LIQ_TOLERANCE):
        return p.risk.exchange_liquidation_price
    return None


def position_status(p: PositionView) -> Status:
    # As for accounts: data that is not fresh may hide danger, unless it already shows critical.
    if not p.fresh and p.status is not Status.CRITICAL:
        return Status.STALE
    return p.status


def position_entry(a: AccountView, p: PositionView, now: datetime) -> Entry:
    r = p.risk
    dim = "" if p.fresh else " stale"
    status = position_status(p)
    level = status_tag(p.status) + dim
    isolated = r.margin_mode is MarginMode.ISOLATED
    roe = roe_pct(p)
    exch = exchange_liq(p)
    to_next = seconds_to_next(p, a.exchange, now)
    fresh = ("live", "muted") if p.fresh else (f"old {fmt.age(p.age_s)}", "stale")
    gain = "gain" if r.unrealized_pnl >= 0 else "loss"
    cells = (
        (a.name, "muted" + dim),
        (r.symbol, "strong" + dim),
        (r.side.value, dim),
        status_cell(status, r.liquidated),
        (fmt.pct(r.distance_to_liquidation_pct, 1), level),
        (fmt.sigma(r.distance_sigma), level),
        (fmt.price(r.mark_price), dim),
        (fmt.price(r.liquidation_price), "liq" + dim),
        (fmt.price(exch) if exch is not None else "", "warning" + dim),
        (fmt.ratio_pct(r.margin_ratio) if isolated else "acct", (level if isolated else "muted") + dim),
        (fmt.money(r.unrealized_pnl, signed=True), gain + dim),
        (fmt.pct(roe, 1, signed=True), gain + dim),
        (fmt.size(r.size), dim),
        (fmt.compact(r.notional), dim),
        (fmt.price(r.entry_price), dim),
        (fmt.money(p.funding_paid_since_open, signed=True), dim),
        (fmt.money(p.next_funding, signed=True), dim),
        (fmt.countdown(to_next), dim),
        (fmt.leverage(r.leverage), dim),
        ("iso" if isolated else "cross", dim),
        fresh,
    )
    danger = -status.rank
    dist = r.distance_to_liquidation_pct if r.distance_to_liquidation_pct is not None else float("-inf")
    sort = (a.name, r.symbol, r.side.value, danger, dist, r.distance_sigma, r.mark_price, r.liquidation_price, exch,
            r.margin_ratio if isolated else None, r.unrealized_pnl, roe, r.size, r.notional, r.entry_price,
            p.funding_paid_since_open, p.next_funding, to_next, r.leverage, r.margin_mode.value, p.age_s)
    search = f"{a.name} {a.exchange.value} {r.symbol} {r.side.value} {r.margin_mode.value}".lower()
    return Entry(position_key(a.name, p), cells, sort, search)


def liquidated_entry(a: AccountView, r: LiquidatedPosition) -> Entry:
    """A liquidated position, listed until its alert is acknowledged: what was taken, where, the loss."""
    taken = f"-{fmt.size(r.size_taken)}" + (f"/{fmt.size(r.size_before)}" if r.partial and r.size_before else "")
    pnl = r.realized_pnl
    what = "PARTIAL" if r.partial else "LIQUIDATED"
    cells = (
        (a.name, "muted"),
        (r.symbol, "strong"),
        (r.side.value, ""),
        status_cell(Status.CRITICAL, True),
        (what, "critical"),
        ("", ""),
        (fmt.price(r.price), "critical"),
        ("", ""),
        ("", ""),
        ("", ""),
        (fmt.money(pnl, signed=True) if pnl is not None else "", "loss"),
        ("", ""),
        (taken, "critical"),
        ("", ""),
        ("", ""),
        ("", ""),
        ("", ""),
        ("", ""),
        ("", ""),
        ("", ""),
        (f"at {r.time:%H:%M:%S}", "critical"),
    )
    # Above every open position in the default order: it has already happened.
    sort = (a.name, r.symbol, r.side.value, -Status.CRITICAL.rank - 1.0, float("-inf"), None, r.price, None, None,
            None, pnl, None, r.size_taken, None, None, None, None, None, None, None, None)
    search = f"{a.name} {a.exchange.value} {r.symbol} {r.side.value} liquidated".lower()
    # Three "|" fields like an open position's key (the screen splits it); the side field never matches one.
    return Entry(f"{a.name}|{r.symbol}|{r.side.value} liquidated", cells, sort, search)


EntryCache = dict[str, tuple[tuple[object, ...], Entry]]


def _signature(a: AccountView, p: PositionView, now: datetime) -> tuple[object, ...]:
    """Everything a row's text depends on, at the resolution it is shown (ages and countdowns in seconds)."""
    age = None if p.fresh or p.age_s is None else int(p.age_s)
    return (a.name, a.exchange, p.risk, p.fresh, age, p.funding_rate, p.next_funding, p.funding_paid_since_open,
            p.status, math.ceil(seconds_to_next(p, a.exchange, now)))


def position_entries(snap: MonitorSnapshot, account: str | None = None, cache: EntryCache | None = None
                     ) -> list[Entry]:
    """Rows of every position (or one account's). With ``cache``, a position whose figures did not change
    since the last call keeps its row: most pulls see most marks unchanged, and formatting is the cost."""
    out: list[Entry] = []
    for a in snap.accounts:
        if account is not None and a.name != account:
            continue
        out.extend(liquidated_entry(a, r) for r in a.liquidations)
        for p in a.positions:
            if cache is None:
                out.append(position_entry(a, p, snap.time))
                continue
            key = position_key(a.name, p)
            sig = _signature(a, p, snap.time)
            hit = cache.get(key)
            if hit is None or hit[0] != sig:
                hit = (sig, position_entry(a, p, snap.time))
                cache[key] = hit
            out.append(hit[1])
    if cache is not None and len(cache) > 2 * len(out) + 64:
        live = {e.key for e in out}
        for key in [k for k in cache if k not in live]:
            del cache[key]
    return out


def find_position(snap: MonitorSnapshot, key: str) -> tuple[AccountView, PositionView] | None:
    account = key.split("|", 1)[0]
    for a in snap.accounts:
        if a.name == account:
            for p in a.positions:
                if position_key(a.name, p) == key:
                    return a, p
    return None
