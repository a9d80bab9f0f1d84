"""The accounts pane: one row per account, closest to liquidation first (the snapshot's order: its nearest
position's distance), sortable by any column."""

from __future__ import annotations

from liqwatch.account_totals import Totals, figures_fresh, totals
from liqwatch.commands.snapshot_output import available_differs, equity_differs
from liqwatch.feed_channel import ChannelState
from liqwatch.risk.evaluate import AccountRisk
from liqwatch.store import AccountView, MonitorSnapshot, nearest_distance
from widgets import fmt
from widgets.keyed_table import KEEP, Cell, Column
from widgets.levels import feed_tag, status_cell, status_tag
from widgets.position_rows import flow
from widgets.risk_view import worst_liquidated, worst_risk
from widgets.table_model import Entry

GAUGE = 6
SHORT_STATE = {ChannelState.RECONNECTING: "RECONN", ChannelState.CONNECTING: "CONN", ChannelState.SYNCING: "SYNC",
               ChannelState.MAINTENANCE: "MAINT"}
SHORT_EXCHANGE = {"hyperliquid": "hyperliq"}

#: Priorities as the positions pane's (widgets.keyed_table.Column): the account, its level, its distance
#: and its freshness never give way.
COLUMNS = (
    Column("status", "status", 6, "left", KEEP),
    Column("exchange", "exchange", 8, "left", priority=6),
    Column("name", "account", 12, "left", KEEP),
    Column("equity", "equity", 9, priority=1),
    Column("cross", "cross eq", 9, priority=6),  # equity again on an all-cross account
    Column("ratio", "margin", 6, priority=3),
    Column("dist", "liq dist%", 9, priority=KEEP),
    Column("risk", "worst risk", GAUGE + 5, "left", priority=2),
    Column("upnl", "uPnL", 9, priority=3),
    Column("funding", "funding today", 9, priority=4),  # since 00:00 UTC; negative = paid
    Column("fresh", "freshness", 9, "left", KEEP),
    Column("notional", "notional", 8, priority=5),
    Column("eff_lev", "eff lev", 6, priority=4),  # notional / equity
    Column("free", "free margin", 9, priority=5),
    Column("withdraw", "withdrawable", 9, priority=5),  # the exchange's own figure (also in i)
)
_FRESH = [c.key for c in COLUMNS].index("fresh")
_SUMMED = {i for i, c in enumerate(COLUMNS) if c.key in ("equity", "upnl", "funding", "notional", "eff_lev")}
#: The totals rows' keys start with it (an account's key is its name, which cannot start with a blank).
TOTAL_KEY = " total "


#: The pieces of a message laid over the columns between the name and the freshness (they widen for it).
_MESSAGE_WIDTHS = (15, 11, 7, 9, 11, 11, 13)


def freshness(a: AccountView) -> Cell:
    if a.disabled_reason is not None:
        return ("OFF", "stale")
    if a.mode_not_modelled is not None:
        return ("MODE N/M", "stale")
    if a.unevaluated:  # live, maybe, but not all of it is evaluated
        return (f"{len(a.unevaluated)} not eval", "stale")
    if a.fresh:
        return ("LIVE", "ok")
    bad = [f for f in a.feeds if f.state is not ChannelState.LIVE]
    if not bad:
        return ("SYNCING", "warning")
    worst = max(bad, key=lambda f: -1.0 if f.age_s is None else f.age_s)
    age = "" if worst.age_s is None else " " + fmt.age(worst.age_s)
    return (f"{SHORT_STATE.get(worst.state, worst.state.value)}{age}", feed_tag(worst.state))


def equity_cell(r: AccountRisk, dim: str, incomplete: bool = False) -> Cell:
    """Our equity; with the exchange's own beside it when the two disagree at its snapshot
    (liqwatch.commands.snapshot_output), or when ours is ``incomplete`` (a position not evaluated is missing
    from it)."""
    if equity_differs(r) or (incomplete and r.exchange_margin_balance is not None):
        return (f"{fmt.compact(r.margin_balance)}≠{fmt.compact(r.exchange_margin_balance)}", "warning" + dim)
    return (fmt.money(r.margin_balance), dim)


def free_cell(r: AccountRisk, dim: str) -> Cell:
    """Our free margin; with the exchange's own beside it when the two disagree at its snapshot, or alone
    (marked) when ours cannot be computed (a cross position without its leverage yet)."""
    theirs = r.exchange_available_balance if r.exchange_available_balance is not None else r.exchange_withdrawable
    if r.available_balance is None and theirs is not None:
        return (f"—≠{fmt.compact(theirs)}", "warning" + dim)
    if available_differs(r):
        return (f"{fmt.compact(r.available_balance)}≠{fmt.compact(theirs)}", "warning" + dim)
    return (fmt.money(r.available_balance), dim)


def account_entry(a: AccountView) -> Entry:
    r = a.risk
    # Its figures are computed on its positions' marks: a stale mark dims them as a stale channel does.
    dim = "" if figures_fresh(a) else " stale"
    fresh = freshness(a)
    search = f"{a.name} {a.exchange}".lower()
    if r is None:
        why = "disabled" if a.disabled_reason else "waiting"
        exchange = SHORT_EXCHANGE.get(a.exchange, a.exchange)
        cells: tuple[Cell, ...] = (status_cell(a.status), (exchange, "stale"), (a.name, "stale"), (why, "stale"),
                                   ("", ""), ("", ""), ("", ""), ("", ""), ("", ""), ("", ""), fresh,
                                   ("", ""), ("", ""), ("", ""), ("", ""))
        if a.mode_not_modelled is not None:
            widths = _MESSAGE_WIDTHS  # every column between the name and freshness
            message = flow(f"mode not modelled: {a.mode_not_modelled}", widths)
            cells = (*cells[:3], *((m, "stale") for m in message), *cells[_FRESH:])
        return Entry(a.name, cells, (-a.status.rank, a.exchange, a.name, None, None, None, None, None, None,
                                     None, fresh[0], None, None, None, None), search)
    risk = worst_risk(a)
    liquidated = worst_liquidated(a) or bool(a.liquidations)  # a liquidation not acknowledged yet
    level = status_tag(a.danger)  # the account's own level (liqwatch.danger), as its status and alerts
    nearest = nearest_distance(a)
    upnl = sum(p.risk.unrealized_pnl for p in a.positions)
    day = a.funding_today
    cells = (
        status_cell(a.status, liquidated),
        (SHORT_EXCHANGE.get(a.exchange, a.exchange), dim),
        (a.name, "strong" + dim),
        equity_cell(r, dim, bool(a.unevaluated)),
        (fmt.money(r.cross_margin_balance), dim),
        (fmt.ratio_pct(r.margin_ratio), dim),
        (fmt.pct(nearest, 1), level + dim),
        # A liquidated account has no risk figure to show; "0.00" would read as the safest of all.
        (f"{fmt.gauge(1.0 if liquidated else risk, GAUGE)} {'LIQD' if liquidated else fmt.risk(risk)}", level + dim),
        (fmt.money(upnl, signed=True), ("gain" if upnl >= 0 else "loss") + dim),
        (fmt.money(day, signed=True), ("gain" if day >= 0 else "loss") + dim),
        fresh,
        (fmt.compact(r.notional), dim),
        (fmt.multiple(r.effective_leverage), dim),
        free_cell(r, dim),
        (fmt.money(r.exchange_withdrawable), dim),
    )
    # Danger sorts first in ascending order: status and risk are negated (no risk figure = liquidated).
    danger = -risk if risk is not None else float("-inf")
    dist = float("-inf") if liquidated else nearest
    sort = (-a.status.rank, a.exchange, a.name, r.margin_balance, r.cross_margin_balance, r.margin_ratio, dist,
            danger, upnl, day, fresh[0], r.notional, r.effective_leverage, r.available_balance,
            r.exchange_withdrawable)
    return Entry(a.name, cells, sort, search)


def account_entries(snap: MonitorSnapshot) -> list[Entry]:
    return [account_entry(a) for a in snap.accounts]


def total_entry(t: Totals) -> Entry:
    """One settle currency's totals (liqwatch.account_totals): never summed across currencies."""
    dim = "" if t.fresh else " stale"
    n = len(t.accounts)
    cover = f"{len(t.missing)} missing" if t.missing else f"{n} account{'s' if n != 1 else ''}"
    lev = t.effective_leverage
    cells: tuple[Cell, ...] = (
        ("", ""), ("Σ", "strong" + dim), (f"total {t.currency}", "strong" + dim),
        (fmt.money(t.equity), "strong" + dim), ("", ""), ("", ""), ("", ""), ("", ""),
        (fmt.money(t.unrealized_pnl, signed=True), ("gain" if t.unrealized_pnl >= 0 else "loss") + dim),
        (fmt.money(t.funding_today, signed=True), ("gain" if t.funding_today >= 0 else "loss") + dim),
        (cover, "stale" if t.missing else "muted"),
        (fmt.compact(t.notional), dim), (fmt.multiple(lev), dim), ("", ""), ("", ""),
    )
    if not t.accounts:  # a sum over no account is no figure: "—" (the cover cell counts the missing)
        cells = tuple((fmt.NA, "stale") if i in _SUMMED else c for i, c in enumerate(cells))
    sort = (None, None, None, t.equity, None, None, None, None, t.unrealized_pnl, t.funding_today, None,
            t.notional, lev, None, None)
    return Entry(f"{TOTAL_KEY}{t.currency}", cells, sort, f"total {t.currency}".lower())


def total_entries(snap: MonitorSnapshot) -> list[Entry]:
    """The totals rows, one per settle currency, shown below the accounts whatever their order."""
    return [total_entry(t) for t in totals(snap)]


class AccountRows:
    """The accounts pane's rows from one snapshot to the next: an account's row is a function of its view
    alone (no clock in it), so a view that is the very object shown keeps its row, and the totals are
    summed again only when some view is another one."""

    def __init__(self) -> None:
        self._views: tuple[AccountView, ...] = ()
        self._rows: dict[str, tuple[AccountView, Entry]] = {}

    def entries(self, snap: MonitorSnapshot) -> tuple[list[Entry], list[Entry]] | None:
        """(accounts, totals); None when every view is the one shown last (nothing to do)."""
        views = snap.accounts
        if len(views) == len(self._views) and all(a is b for a, b in zip(views, self._views, strict=True)):
            return None
        self._views = views
        out = []
        for a in views:
            hit = self._rows.get(a.name)
            if hit is None or hit[0] is not a:
                hit = (a, account_entry(a))
                self._rows[a.name] = hit
            out.append(hit[1])
        if len(self._rows) > len(views):
            names = {a.name for a in views}
            self._rows = {k: v for k, v in self._rows.items() if k in names}
        return out, total_entries(snap)
