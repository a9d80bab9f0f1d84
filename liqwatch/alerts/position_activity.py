"""Position activity: a position opened, closed, resized, or its leverage or margin mode changed by the trader,
found by comparing each account's positions between snapshots by (symbol, side). A read-only monitor never
trades, so this is the first sign of a key used by someone else (or a reminder of what one did oneself).

Pure: ``step(state, snapshot, fresh_events, now) -> (state, [Activity])``; the engine raises one INFO alert
per position (``AlertRule.POSITION_ACTIVITY``) from what it returns.

Not reported:
- the first snapshot of a run, or of an account (nothing to compare with);
- across a gap in its data (an account is live when synced and every channel LIVE), what a liquidation could
  explain: the positions last seen live are kept through the gap and compared with the first live ones after
  it, and a new position, a larger one, a leverage or margin-mode change is reported (a liquidation cannot
  open, grow or re-lever a position), but a reduction or a close is not: that is the store's own check, with
  the exchange's history ("closed while the stream was blind");
- a liquidation or an auto-deleveraging, which raise their own alert: a reduction or a close waits
  ``GRACE_S`` (the exchange may send the fill after the position update) and is dropped if that position
  was liquidated or deleveraged within ``GRACE_S`` of it;
- a leverage or margin mode not reported on one side (Binance's stream sends no leverage): unknown is not a
  change.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from types import MappingProxyType

from liqwatch.alerts.memo import EvaluationMemo
from liqwatch.read_model import AccountView
from liqwatch.risk_events import LoggedEvent, RiskEvent, RiskEventKind
from liqwatch.store import MonitorSnapshot

#: A liquidation fill and the account update that took the position off the book can be seconds apart
#: (``FILL_UPDATE_WINDOW_S`` of the Binance adapter is 5 s); a margin for the feed's own delays on top.
GRACE_S = 8.0
SIZE_TOLERANCE = 1e-9  # relative: the same size in another decimal rendering is no resize
_FORCED = (RiskEventKind.LIQUIDATION, RiskEventKind.AUTO_DELEVERAGE, RiskEventKind.CLOSED_WHILE_BLIND,
           RiskEventKind.CLOSED, RiskEventKind.LIQUIDATION_UNKNOWN)

Key = tuple[str, str]  # (symbol, side)


@dataclass(frozen=True, slots=True)
class Seen:
    """One position as last seen on live data."""

    size: float | None  # None: not known (a position listed as not evaluated without its size)
    entry_price: float | None
    leverage: float | None
    margin_mode: str | None


@dataclass(frozen=True, slots=True)
class Activity:
    account: str
    symbol: str
    side: str
    message: str  # "BTC/USDT:USDT long opened 0.5 @ 65000 (10x cross)", without the account

    @property
    def subject(self) -> str:
        return f"{self.symbol} {self.side}"


@dataclass(frozen=True, slots=True)
class _Pending:
    activity: Activity
    since: datetime


@dataclass(frozen=True, slots=True)
class ActivityState:
    #: Per account: its positions in its last live snapshot (kept through a gap in its data).
    seen: Mapping[str, Mapping[Key, Seen]] = field(default_factory=lambda: MappingProxyType({}))
    #: Reductions and closes waiting out ``GRACE_S`` (a liquidation's fill may still come).
    pending: tuple[_Pending, ...] = ()
    #: (account, symbol, side) -> when a liquidation or ADL of it was last seen; side "" for any side.
    forced: Mapping[tuple[str, str, str], datetime] = field(default_factory=lambda: MappingProxyType({}))
    #: Accounts not live in the last snapshot: their next comparison is across a gap.
    blind: frozenset[str] = frozenset()


def _num(x: float | None) -> str:
    return "?" if x is None or not math.isfinite(x) else format(x, ".10g")


def _positions(view: AccountView) -> dict[Key, Seen]:
    out: dict[Key, Seen] = {}
    for p in view.positions:
        r = p.risk
        out[(r.symbol, r.side.value)] = Seen(r.size, r.entry_price, r.leverage, r.margin_mode.value)
    for u in view.unevaluated:  # held but not evaluated is still held: moving between the two is no change
        out[(u.symbol, u.side.value)] = Seen(u.size, u.entry_price, u.leverage,
                                            u.margin_mode.value if u.margin_mode is not None else None)
    return out


def _live(view: AccountView) -> bool:
    return view.synced and view.feeds_live and view.disabled_reason is None and view.mode_not_modelled is None


def _same_size(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return True  # a size not known is no resize: nothing is said of it
    return abs(a - b) <= SIZE_TOLERANCE * max(abs(a), abs(b), 1e-12)


def _lev(x: float | None) -> str:
    return f"{_num(x)}x"


def compare(before: Seen | None, after: Seen | None, where: str) -> tuple[str | None, bool]:
    """What changed, and whether it reduces or closes the position (what a liquidation could do)."""
    if before is None and after is not None:
        how = ", ".join(x for x in (_lev(after.leverage) if after.leverage is not None else None,
                                    after.margin_mode) if x)
        return f"{where} opened {_num(after.size)} @ {_num(after.entry_price)}" + (f" ({how})" if how else ""), False
    if after is None:
        return (f"{where} closed (was {_num(before.size)})" if before is not None else None), True
    assert before is not None
    parts: list[str] = []
    reduced = False
    if not _same_size(before.size, after.size):
        reduced = after.size is not None and before.size is not None and after.size < before.size
        verb = "reduced" if reduced else "increased"
        parts.append(f"{verb} {_num(before.size)} → {_num(after.size)} (entry {_num(after.entry_price)})")
    if before.leverage is not None and after.leverage is not None and before.leverage != after.leverage:
        parts.append(f"leverage {_lev(before.leverage)} → {_lev(after.leverage)}")
    if before.margin_mode is not None and after.margin_mode is not None and before.margin_mode != after.margin_mode:
        parts.append(f"margin mode {before.margin_mode} → {after.margin_mode}")
    return (f"{where} {'; '.join(parts)}" if parts else None), reduced


def _note_forced(forced: dict[tuple[str, str, str], datetime], snapshot: MonitorSnapshot,
                 fresh_events: Sequence[LoggedEvent], now: datetime) -> None:
    for view in snapshot.accounts:
        for liq in view.liquidations:  # listed until acknowledged: still the cause of what it took
            forced[(view.name, liq.symbol, liq.side.value)] = now
    for e in fresh_events:
        if isinstance(e, RiskEvent) and e.kind in _FORCED and e.symbol:
            forced[(e.account, e.symbol, e.side.value if e.side is not None else "")] = now
    horizon = now - timedelta(seconds=4 * GRACE_S)
    for k in [k for k, t in forced.items() if t < horizon]:
        del forced[k]


def _was_forced(forced: Mapping[tuple[str, str, str], datetime], a: Activity, since: datetime) -> bool:
    window = timedelta(seconds=GRACE_S)
    for side in (a.side, ""):
        t = forced.get((a.account, a.symbol, side))
        if t is not None and t >= since - window:
            return True
    return False


def step(state: ActivityState | None, snapshot: MonitorSnapshot, fresh_events: Sequence[LoggedEvent],
         now: datetime, memo: EvaluationMemo | None = None) -> tuple[ActivityState, list[Activity]]:
    """``fresh_events``: the store's logged events added since the last snapshot (a feed note is never a
    forced close, whatever its text). ``memo``: a live account whose view is the very one its positions last
    seen were taken from is not compared again (nothing of it can have changed)."""
    state = state or ActivityState()
    forced = dict(state.forced)
    _note_forced(forced, snapshot, fresh_events, now)
    out: list[Activity] = []
    pending: list[_Pending] = []
    for p in state.pending:
        if _was_forced(forced, p.activity, p.since):
            continue  # the exchange took it: the liquidation's (or ADL's) own alert says so
        if (now - p.since).total_seconds() >= GRACE_S:
            out.append(p.activity)
        else:
            pending.append(p)
    seen: dict[str, Mapping[Key, Seen]] = {}
    blind: set[str] = set()
    for view in snapshot.accounts:
        before = state.seen.get(view.name)
        if not _live(view):
            if before is not None:
                seen[view.name] = before  # the baseline waits for the data to be back
            blind.add(view.name)
            continue
        last = memo.activity.get(view.name) if memo is not None else None
        if (last is not None and last[0] is view and before is not None and last[1] is before
                and view.name not in state.blind):
            seen[view.name] = before
            continue
        now_held = _positions(view)
        seen[view.name] = taken = MappingProxyType(now_held)
        if memo is not None:
            memo.activity[view.name] = (view, taken)
        if before is None:
            continue
        gap = view.name in state.blind
        for key in sorted(set(before) | set(now_held)):
            was, held = before.get(key), now_held.get(key)
            if gap:
                if held is None:
                    continue  # closed while blind: the store's check, with the exchange's history
                if was is not None and held.size is not None and was.size is not None and held.size < was.size:
                    was = replace(was, size=held.size)  # a reduction may be a liquidation's: not ours to say
            text, reduces = compare(was, held, f"{key[0]} {key[1]}")
            if text is None:
                continue
            activity = Activity(view.name, key[0], key[1], text)
            if reduces:
                pending.append(_Pending(activity, now))
            else:
                out.append(activity)
    return ActivityState(MappingProxyType(seen), tuple(pending), MappingProxyType(forced), frozenset(blind)), out
