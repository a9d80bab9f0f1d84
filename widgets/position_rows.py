"""The positions pane: one row per position of the selected account, or of every account."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import MarginMode, UnevaluatedPosition
from liqwatch.status import Status
from liqwatch.store import AccountView, MonitorSnapshot, PositionView
from widgets import fmt
from widgets.funding_view import seconds_to_next
from widgets.keyed_table import KEEP, Column
from widgets.levels import status_cell, status_tag
from widgets.table_model import Entry

#: Beyond this relative difference the exchange's own liquidation price is shown beside ours.
EXCHANGE_LIQ_TOLERANCE = 0.001

#: Priorities (widgets.keyed_table.Column): identity and risk are KEEP; a higher number gives way first
#: at narrow widths (README "The screen" lists what each size shows).
COLUMNS = (
    Column("account", "account", 12, "left", KEEP),
    Column("symbol", "symbol", 13, "left", KEEP),
    Column("side", "side", 5, "left", KEEP),
    Column("status", "status", 6, "left", KEEP),
    Column("dist", "dist%", 6, priority=KEEP),
    Column("sigma", "dist σ", 6, priority=4),
    Column("mark", "mark", 8, priority=2),
    Column("liq", "liq", 8, priority=KEEP),
    Column("exch_liq", "exch liq", 8, priority=3),
    Column("ratio", "margin", 6, priority=3),
    Column("upnl", "uPnL", 8, priority=2),
    Column("roe", "ROE", 6, priority=5),
    Column("size", "size", 6, priority=5),
    Column("notional", "notional", 8, priority=5),
    Column("entry", "entry", 8, priority=6),
    Column("funding", "funding", 8, priority=7),  # since open; negative = paid, positive = received
    Column("next", "next fund", 9, priority=7),
    Column("countdown", "in", 5, priority=8),
    Column("leverage", "lev", 3, priority=8),
    Column("mode", "mode", 5, "left", priority=8),
    Column("fresh", "fresh", 5, "left", priority=1),
    Column("liq_dist", "liq dist", 8, priority=4),  # distance to liquidation in the quote currency
    Column("break_even", "break-even", 8, priority=6),
)
FIXED_COLUMNS = 2  # account and symbol stay put while the rest scrolls sideways


def position_key(account: str, p: PositionView | UnevaluatedPosition) -> str:
    symbol, side = (p.risk.symbol, p.risk.side) if isinstance(p, PositionView) else (p.symbol, p.side)
    return f"{account}|{symbol}|{side.value}"


def flow(text: str, widths: tuple[int, ...]) -> list[str]:
    """``text`` laid word by word over consecutive columns (their one-blank gaps read as spaces), so that a
    message wider than any one column stays readable; a word longer than a column is cut at its edge."""
    out: list[str] = []
    words = text.split()
    for i, width in enumerate(widths):
        line = ""
        while words:
            word = words[0]
            candidate = f"{line} {word}" if line else word
            if len(candidate) <= width:
                line = candidate
                words.pop(0)
            elif not line and len(word) > max(widths[i:]):  # fits no column: cut it here
                line, words[0] = word[:width], word[width:]
                break
            else:  # the word goes whole into a later, wider column
                break
        out.append(line.ljust(width))
    if words and out:
        out[-1] = out[-1][: max(0, widths[-1] - 1)] + "…"
    return out


#: The columns a not-evaluated row's message runs over (where its figures would be).
#: How wide the message's pieces may be: wider than those columns' least widths, which then widen for it.
_MESSAGE_WIDTHS = (15, 10, 7, 11, 8)


def unevaluated_entry(a: AccountView, u: UnevaluatedPosition) -> Entry:
    """What is known (symbol, side, size, entry, mark) and "not evaluated: <reason>"; no figure at all."""
    widths = _MESSAGE_WIDTHS
    message = [(chunk, "stale") for chunk in flow(f"not evaluated: {u.reason}", widths)]
    notional = u.size * u.mark_price if u.mark_price is not None and u.size is not None else None
    mode = "" if u.margin_mode is None else ("iso" if u.margin_mode is MarginMode.ISOLATED else "cross")
    cells = (
        (a.name, "muted stale"), (u.symbol, "strong stale"), (u.side.value, "stale"), ("? N/E", "stale"),
        ("", "stale"), ("", "stale"), (fmt.price(u.mark_price), "stale"), *message,
        (fmt.size(u.size), "stale"), (fmt.compact(notional), "stale"), (fmt.price(u.entry_price), "stale"),
        ("", ""), ("", ""), ("", ""), (fmt.leverage(u.leverage), "stale"), (mode, "stale"),
        ("not eval", "stale"), ("", ""), ("", ""),
    )
    # Sorted with the most dangerous rows: nothing is known of its distance, so it may be the nearest.
    sort = (a.name, u.symbol, u.side.value, -Status.STALE.rank, float("-inf"), None, u.mark_price, None, None,
            None, None, None, u.size, notional, u.entry_price, None, None, None, u.leverage,
            u.margin_mode.value if u.margin_mode else None, None, None, None)
    search = f"{a.name} {a.exchange} {u.symbol} {u.side.value} not evaluated".lower()
    return Entry(position_key(a.name, u), cells, sort, search)


def roe_pct(p: PositionView) -> float | None:
    """ROE in percent: uPnL over the initial margin at entry (the exchange's definition, live)."""
    return None if p.risk.roe is None else p.risk.roe * 100.0


def liq_text(p: PositionView) -> str:
    """The liquidation price, labelled when it is the hedge pair's rather than this leg's own."""
    text = fmt.price(p.risk.liquidation_price)
    return f"{text} pair" if p.risk.liquidation_scope == "pair" else text


def exchange_liq(p: PositionView) -> float | None:
    """The exchange's liquidation price when it differs from ours by more than the tolerance."""
    diff = fmt.relative_diff(p.risk.exchange_liquidation_price, p.risk.liquidation_price)
    if p.risk.exchange_liquidation_price is not None and (diff is None or diff > EXCHANGE_LIQ_TOLERANCE):
        return p.risk.exchange_liquidation_price
    return None


def break_even_cell(p: PositionView, dim: str) -> tuple[str, str]:
    """The break-even price; muted when computed from the taker fee rate rather than the exchange's own."""
    r = p.risk
    return (fmt.price(r.break_even_price), ("muted" if r.break_even_source == "fees" else "") + dim)


def position_status(p: PositionView) -> Status:
    # As for accounts: data that is not fresh may hide danger, unless it already shows critical.
    if not p.fresh and p.status is not Status.CRITICAL:
        return Status.STALE
    return p.status


def freshness_cell(p: PositionView) -> tuple[str, str]:
    if p.fresh:
        return ("live", "muted")
    if p.incomplete is not None:  # live data, but the account lacks a position not evaluated
        return ("acct N/E", "stale")
    return (f"old {fmt.age(p.age_s)}", "stale")


def position_entry(a: AccountView, p: PositionView, now: datetime) -> Entry:
    r = p.risk
    dim = "" if p.fresh else " stale"
    status = position_status(p)
    level = status_tag(p.status) + dim
    isolated = r.margin_mode is MarginMode.ISOLATED
    roe = roe_pct(p)
    exch = exchange_liq(p)
    to_next = seconds_to_next(p, a.exchange, now)
    fresh = freshness_cell(p)
    gain = "gain" if r.unrealized_pnl >= 0 else "loss"
    cells = (
        (a.name, "muted" + dim),
        (r.symbol, "strong" + dim),
        (r.side.value, dim),
        status_cell(status, r.liquidated),
        (fmt.pct(r.distance_to_liquidation_pct, 1), level),
        (fmt.sigma(r.distance_sigma), level),
        (fmt.price(r.mark_price), dim),
        (liq_text(p), "liq" + dim),
        (fmt.price(exch), "warning" + ("" if p.exchange_liq_fresh else " stale")) if exch is not None
        else ("", "warning" + dim),
        ("n/a", "muted" + dim) if r.figures_from == "exchange"
        else (fmt.ratio_pct(r.margin_ratio) if isolated else "acct", (level if isolated else "muted") + dim),
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
        (fmt.quote_distance(r.liquidation_distance, r.mark_price), level),
        break_even_cell(p, dim),
    )
    danger = -status.rank
    dist = r.distance_to_liquidation_pct if r.distance_to_liquidation_pct is not None else float("-inf")
    sort = (a.name, r.symbol, r.side.value, danger, dist, r.distance_sigma, r.mark_price, r.liquidation_price, exch,
            r.margin_ratio if isolated else None, r.unrealized_pnl, roe, r.size, r.notional, r.entry_price,
            p.funding_paid_since_open, p.next_funding, to_next, r.leverage, r.margin_mode.value, p.age_s,
            r.liquidation_distance, r.break_even_price)
    search = f"{a.name} {a.exchange} {r.symbol} {r.side.value} {r.margin_mode.value}".lower()
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
        ("", ""),
        ("", ""),
    )
    # Above every open position in the default order: it has already happened.
    sort = (a.name, r.symbol, r.side.value, -Status.CRITICAL.rank - 1.0, float("-inf"), None, r.price, None, None,
            None, pnl, None, r.size_taken, None, None, None, None, None, None, None, None, None, None)
    search = f"{a.name} {a.exchange} {r.symbol} {r.side.value} liquidated".lower()
    # Three "|" fields like an open position's key (the screen splits it); the side field never matches one.
    return Entry(f"{a.name}|{r.symbol}|{r.side.value} liquidated", cells, sort, search)


EntryCache = dict[str, tuple[tuple[object, ...], Entry]]


def _signature(a: AccountView, p: PositionView, to_next: float) -> tuple[object, ...]:
    """Everything a row's text depends on, at the resolution it is shown (ages and countdowns in seconds)."""
    age = None if p.fresh or p.age_s is None else int(p.age_s)
    return (a.name, a.exchange, p.risk, p.fresh, age, p.funding_rate, p.next_funding, p.funding_paid_since_open,
            p.status, p.exchange_liq_fresh, p.incomplete, math.ceil(to_next))  # the countdown last (with_countdown)


def account_entries(a: AccountView, now: datetime, cache: EntryCache | None = None) -> tuple[list[Entry], float]:
    """One account's rows, and in how many seconds from ``now`` a countdown shown in them next ticks (every
    other cell depends on the view alone). With ``cache``, a position whose figures did not change keeps its
    row: most pulls see most marks unchanged, and formatting is the cost."""
    out: list[Entry] = [liquidated_entry(a, r) for r in a.liquidations]
    tick = math.inf
    for p in a.positions:
        to_next = seconds_to_next(p, a.exchange, now)
        # The shown countdown is ceil(to_next): it changes as to_next passes its next whole second down.
        tick = min(tick, to_next - math.ceil(to_next) + 1.0)
        if cache is None:
            out.append(position_entry(a, p, now))
            continue
        key = position_key(a.name, p)
        sig = _signature(a, p, to_next)
        hit = cache.get(key)
        if hit is None or hit[0] != sig:
            if hit is not None and hit[0][:-1] == sig[:-1]:
                # Only the countdown ticked (all of them do, every second): that one cell, not the whole row.
                hit = (sig, with_countdown(hit[1], to_next, p.age_s))
            else:
                hit = (sig, position_entry(a, p, now))
            cache[key] = hit
        out.append(hit[1])
    out.extend(unevaluated_entry(a, u) for u in a.unevaluated)
    return out, tick


def with_countdown(e: Entry, to_next: float, age_s: float | None) -> Entry:
    """``e`` with its countdown to the next settlement at ``to_next`` seconds (its text and its sort value)
    and the mark's age ``age_s`` (a sort value only, its text being in the signature), as ``position_entry``
    makes it from a position whose signature but for the countdown is ``e``'s."""
    cells = list(e.cells)
    cells[_COUNTDOWN] = (fmt.countdown(to_next), cells[_COUNTDOWN][1])
    sort = list(e.sort)
    sort[_COUNTDOWN] = to_next
    sort[_AGE] = age_s
    return Entry(e.key, tuple(cells), tuple(sort), e.search)


def prune(cache: EntryCache, live: int, keys: Iterable[str]) -> None:
    """Drop the rows of positions gone, once the cache holds many more than the ``live`` rows shown."""
    if len(cache) > 2 * live + 64:
        kept = set(keys)
        for key in [k for k in cache if k not in kept]:
            del cache[key]


def position_entries(snap: MonitorSnapshot, account: str | None = None, cache: EntryCache | None = None
                     ) -> list[Entry]:
    """Rows of every position (or one account's), nearest to liquidation first (``account_entries``)."""
    out: list[Entry] = []
    for a in snap.accounts:
        if account is None or a.name == account:
            out.extend(account_entries(a, snap.time, cache)[0])
    if cache is not None:
        prune(cache, len(out), (e.key for e in out))
    return nearest_first(out)


def nearest_first(entries: Iterable[Entry]) -> list[Entry]:
    """Across accounts, nearest to liquidation first (as the header and the accounts pane rank): the
    liquidated and the not-evaluated rows (distance -inf) lead, a tie goes to the worse status."""
    return sorted(entries, key=_nearest_first)


def _nearest_first(e: Entry) -> tuple[float, float]:
    dist, danger = e.sort[_DIST], e.sort[_DANGER]
    return (float(dist) if isinstance(dist, (int, float)) else float("inf"),
            float(danger) if isinstance(danger, (int, float)) else 0.0)


_DIST = [c.key for c in COLUMNS].index("dist")
_COUNTDOWN = [c.key for c in COLUMNS].index("countdown")
_AGE = [c.key for c in COLUMNS].index("fresh")
_DANGER = [c.key for c in COLUMNS].index("status")


def find_unevaluated(snap: MonitorSnapshot, key: str) -> UnevaluatedPosition | None:
    account = key.split("|", 1)[0]
    for a in snap.accounts:
        if a.name == account:
            return next((u for u in a.unevaluated if position_key(a.name, u) == key), None)
    return None


def find_position(snap: MonitorSnapshot, key: str) -> tuple[AccountView, PositionView] | None:
    account = key.split("|", 1)[0]
    for a in snap.accounts:
        if a.name == account:
            for p in a.positions:
                if position_key(a.name, p) == key:
                    return a, p
    return None
