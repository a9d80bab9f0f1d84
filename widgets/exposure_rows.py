"""Net exposure per asset across every account: what one price move does to the whole book."""

from __future__ import annotations

from dataclasses import dataclass, field

from liqwatch.store import AccountView, MonitorSnapshot
from widgets import fmt
from widgets.keyed_table import KEEP, Column
from widgets.table_model import Entry

COLUMNS = (
    Column("asset", "asset", 5, "left", KEEP),
    Column("net", "net", 7, priority=KEEP),
    Column("long", "long", 7, priority=2),
    Column("short", "short", 7, priority=2),
    Column("size", "net size", 8, priority=3),
    Column("positions", "pos", 3, priority=4),
    Column("fresh", "fresh", 5, "left", KEEP),
)


def base_asset(symbol: str) -> str:
    return symbol.split("/", 1)[0]


@dataclass
class Exposure:
    asset: str
    long: float = 0.0
    short: float = 0.0
    net_size: float = 0.0
    positions: int = 0
    accounts: set[str] = field(default_factory=set)
    stale_age: float | None = None  # the oldest mark behind a position that is not fresh
    stale: bool = False
    #: Positions not evaluated counted in: their size and side are known, their notional at the last mark
    #: (left out of long/short when no mark is known).
    unevaluated: int = 0

    @property
    def net(self) -> float:
        return self.long - self.short


def exposures(snap: MonitorSnapshot) -> list[Exposure]:
    """Largest absolute net notional first."""
    by_asset: dict[str, Exposure] = {}
    for a in snap.accounts:
        for p in a.positions:
            asset = base_asset(p.risk.symbol)
            e = by_asset.setdefault(asset, Exposure(asset))
            if p.risk.side.sign > 0:
                e.long += p.risk.notional
            else:
                e.short += p.risk.notional
            e.net_size += p.risk.side.sign * p.risk.size
            e.positions += 1
            e.accounts.add(a.name)
            if not p.fresh:
                e.stale = True
                if p.age_s is not None:
                    e.stale_age = max(e.stale_age or 0.0, p.age_s)
        for u in a.unevaluated:
            e = by_asset.setdefault(base_asset(u.symbol), Exposure(base_asset(u.symbol)))
            # A size or mark not known adds nothing: the row is counted as not evaluated (and stale).
            notional = u.size * u.mark_price if u.mark_price is not None and u.size is not None else 0.0
            if u.side.sign > 0:
                e.long += notional
            else:
                e.short += notional
            e.net_size += u.side.sign * (u.size or 0.0)
            e.positions += 1
            e.accounts.add(a.name)
            e.stale, e.unevaluated = True, e.unevaluated + 1
    return sorted(by_asset.values(), key=lambda e: (-abs(e.net), e.asset))


def exposure_entry(e: Exposure) -> Entry:
    dim = " stale" if e.stale else ""
    if e.unevaluated:  # includes positions not evaluated: never "live"
        fresh = ("N/E", "stale")
    elif e.stale:
        fresh = (fmt.age(e.stale_age) if e.stale_age is not None else "?", "stale")
    else:
        fresh = ("live", "muted")
    cells = (
        (e.asset, "strong" + dim),
        # Long or short is a position, not a gain: the sign says which, no colour needed.
        (fmt.compact(e.net, signed=True), "strong" + dim),
        (fmt.compact(e.long), dim),
        (fmt.compact(-e.short) if e.short else fmt.compact(0.0), dim),
        (fmt.size(e.net_size), dim),
        (str(e.positions), dim),
        fresh,
    )
    sort = (e.asset, -abs(e.net), e.long, e.short, e.net_size, float(e.positions), e.stale_age or 0.0)
    return Entry(e.asset, cells, sort, e.asset.lower())


def exposure_entries(snap: MonitorSnapshot) -> list[Entry]:
    return [exposure_entry(e) for e in exposures(snap)]


class ExposureRows:
    """The exposure pane's rows from one snapshot to the next: summed again only when some account's view is
    another one (no clock in them), and an asset's row formatted again only when its sums did."""

    def __init__(self) -> None:
        self._views: tuple[AccountView, ...] = ()
        self._rows: dict[tuple[object, ...], Entry] = {}

    def entries(self, snap: MonitorSnapshot) -> list[Entry] | None:
        """None when every view is the one shown last (nothing to do)."""
        views = snap.accounts
        if len(views) == len(self._views) and all(a is b for a, b in zip(views, self._views, strict=True)):
            return None
        self._views = views
        rows: dict[tuple[object, ...], Entry] = {}
        for e in exposures(snap):
            key = (e.asset, e.long, e.short, e.net_size, e.positions, e.stale, e.stale_age, e.unevaluated)
            rows[key] = self._rows.get(key) or exposure_entry(e)
        same = len(rows) == len(self._rows) and all(x is y for x, y in zip(rows.values(), self._rows.values(),
                                                                            strict=True))
        self._rows = rows
        return None if same else list(rows.values())  # None: every row as shown, in the same order
