"""The incremental snapshot: only the accounts whose inputs changed are evaluated again; the view of an
unchanged one is the very object of the last build (a reader may compare identities to skip work: the
alerts, the screen).

An account is re-evaluated when the store marked it dirty (liqwatch.store_changes: its marks, state, channels
added, warnings, funding, thresholds, held levels ...) and, by time alone, when reusing its view could show
something no longer true:

- its view is more than ``REUSE_STEP_S`` old (ages shown are never older than that step);
- a channel of it does not read LIVE, or changed state, detail, error or loop-stall hold since (a STALE or
  SYNCING channel's ages and blind time feed the stale-feed alert: always evaluated afresh);
- one of its limits by time (a channel's freshness limit, a mark's, the exchange's liquidation price's, the
  day's funding at midnight) is less than ``REUSE_STEP_S`` away: within the step before the next rebuild a
  LIVE channel could read STALE, so it is evaluated afresh at every build until then, exactly as a full build.

``full_build`` (liqwatch.store_snapshot.build) stays the reference: tests compare the two on randomized
sequences of updates.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from liqwatch.clock import Clock
from liqwatch.feed_channel import ChannelKind
from liqwatch.model import ExchangeId
from liqwatch.read_model import AccountView
from liqwatch.store_state import _Account, _Market

#: How long a view may be reused (its ages then lag by this much at most), and how near a limit by time
#: an account is evaluated afresh at every build.
REUSE_STEP_S = 1.0

_ChannelSig = tuple[tuple[int, int, str, str, float], ...]


class MonitorStore(Protocol):
    """What reuse reads of ``liqwatch.store.MonitorStore``."""

    clock: Clock
    market_max_age_s: float
    generation: int
    _markets: dict[tuple[ExchangeId, str], _Market]


@dataclass(slots=True)
class _Entry:
    view: AccountView
    changes: tuple[int, int]  # (the account's changes, the store's generation) it was built at
    built: float  # monotonic
    until: float  # the earliest limit by time of what it shows (-inf: not reusable at all)
    channels: _ChannelSig
    wall: datetime  # the store's wall clock then: the day's funding is the day's on it, stepped or not


def _signature(acc: _Account) -> _ChannelSig:
    # The hold too: a stall holding a channel whose state is still STALE (it reads LIVE, its last hold over)
    # makes it read STALE with no transition.
    return tuple((id(ch), ch.changes, ch.detail, ch.last_error, ch.held_until) for ch in acc.channels)


def _until(store: MonitorStore, acc: _Account, view: AccountView, now_mono: float) -> float:
    """When, by time alone, something ``view`` shows may change (-inf: a channel not LIVE now). A limit
    already passed is no longer one (a mark or a liquidation price shown not fresh stays so until new data,
    which dirties the account): kept, it would hide the account's next limit, and the engine's with it."""
    limits: list[float] = []
    for ch in acc.channels:
        live = ch.live_until(now_mono)
        if live is None:
            return -math.inf
        limits.append(live)
    if view.risk is not None:
        mark_limit = max((ch.max_age_s for ch in acc.channels if ch.kind is ChannelKind.MARKET),
                         default=store.market_max_age_s)
        for p in view.positions:
            m = store._markets.get((acc.spec.exchange, p.risk.symbol))
            if m is not None:
                limits.append(m.receive_mono + mark_limit)
        liq_limit = max((ch.max_age_s for ch in acc.channels if ch.kind is ChannelKind.QUIET),
                        default=store.market_max_age_s)
        limits.extend(at + liq_limit for at in acc.liq_mono.values())
        # The day's funding total starts again at midnight (the store's wall clock).
        wall = store.clock.now()
        limits.append(now_mono + (_next_midnight(wall) - wall).total_seconds())
    return min((t for t in limits if t >= now_mono), default=math.inf)


def _same_day(store: MonitorStore, e: _Entry) -> bool:
    """The wall clock has not left the day the view was built in, nor gone back (a step: NTP, a user, a
    resumed machine), nor is it within ``REUSE_STEP_S`` of midnight: the limit for the day's funding measured
    on the monotonic clock at the build does not see a step of the wall clock."""
    wall = store.clock.now()
    return e.wall <= wall and wall + timedelta(seconds=REUSE_STEP_S) < _next_midnight(e.wall)


def _next_midnight(wall: datetime) -> datetime:
    """The midnight after ``wall``, in its time zone (the store's UTC): where the day's funding starts again."""
    return wall.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


class ViewCache:
    """The last build's view of each account, with what its reuse depends on."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}
        self.next_change = math.inf  # the earliest limit by time of the views cached (monotonic)
        self.reused = 0
        self.evaluated = 0

    def reusable(self, store: MonitorStore, acc: _Account, now_mono: float) -> AccountView | None:
        """The cached view of ``acc``, if it is still true at ``now_mono`` (see the module's docstring)."""
        e = self._entries.get(acc.spec.name)
        if (e is None or e.changes != (acc.changes, store.generation)
                or not 0.0 <= now_mono - e.built <= REUSE_STEP_S or now_mono + REUSE_STEP_S >= e.until
                or e.channels != _signature(acc) or not _same_day(store, e)):
            return None
        self.reused += 1
        return e.view

    def keep(self, store: MonitorStore, acc: _Account, view: AccountView, now_mono: float) -> None:
        """``view`` was just evaluated for ``acc`` at ``now_mono``."""
        self.evaluated += 1
        self._entries[acc.spec.name] = _Entry(view, (acc.changes, store.generation), now_mono,
                                              _until(store, acc, view, now_mono), _signature(acc),
                                              store.clock.now())

    def built(self) -> None:
        """A build ended: the earliest limit by time among the views it shows."""
        # A view with a channel not LIVE (-inf) is evaluated at every build, its time-driven change (blind
        # time) at ``fresh_s``: it must not hide the others' limits.
        self.next_change = min((e.until for e in self._entries.values() if e.until > -math.inf),
                               default=math.inf)
