"""The read model: the immutable views every reader gets (``MonitorSnapshot``, ``AccountView``,
``PositionView``, ``WhatIfInputs``), and the ranking of accounts, nearest to liquidation first.

A snapshot is built by the engine from the store's state at one instant (liqwatch.store_snapshot) and never
changes afterwards: the screen, ``check``, ``demo --plain`` and the alerts read it and nothing else; a widget
never reaches back into the live store (the what-if recomputes from ``AccountView.what_if``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.feed_channel import ChannelStatus
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import ExchangeId, FundingPayment, Position, ReportedBalance, ReportedPosition, UnevaluatedPosition
from liqwatch.rest_pause import RestPause
from liqwatch.risk.base import ExchangeRisk
from liqwatch.risk.evaluate import AccountRisk, PositionRisk
from liqwatch.risk_events import LoggedEvent, events_since
from liqwatch.status import Status
from liqwatch.tiers import TierTable

#: The danger levels an account's figures were judged at, held for the next snapshot (hysteresis):
#: ((rule, subject), level).
HeldLevels = tuple[tuple[tuple[AlertRule, str], AlertLevel], ...]


@dataclass(frozen=True, slots=True)
class WhatIfInputs:
    """What a what-if re-evaluates, from the same state as the snapshot's figures: the account's margin rules,
    its wallet, its evaluated positions (each with its tier table) and the marks its figures were computed
    at. A what-if over them gives the snapshot's figures at a zero shift, however the live store moved on."""

    rules: ExchangeRisk
    wallet_balance: float
    positions: tuple[Position, ...]
    marks: tuple[tuple[str, float], ...]  # (symbol, mark) as in the snapshot's figures
    #: A generic (ccxt) account's: its positions and balance as the exchange reported them. Its what-if moves
    #: the marks against the exchange's liquidation prices as they stand (no margin rules of ours to move them).
    reported: tuple[ReportedPosition, ...] = ()
    reported_balance: ReportedBalance | None = None

    def mark_map(self) -> dict[str, float]:
        return dict(self.marks)


@dataclass(frozen=True, slots=True)
class PositionView:
    risk: PositionRisk
    fresh: bool  # every channel feeding this value is LIVE, and its figures complete (``incomplete``)
    age_s: float | None  # age of the mark behind these figures (monotonic)
    funding_rate: float | None
    next_funding_time: datetime | None
    next_funding: float | None  # projected cash flow of the next settlement (negative = pay)
    # Settled funding since the position opened (negative = paid, positive = received): the exchange's own
    # figure where it reports one, else this leg's share of the payments since liqwatch first saw it.
    funding_paid_since_open: float | None
    status: Status  # the position's level (liqwatch.danger), freshness aside
    #: Age of the exchange's own liquidation price (when it was last reported), and whether it is fresh.
    exchange_liq_age_s: float | None = None
    exchange_liq_fresh: bool = False
    #: Why its figures are incomplete though its data is live (a cross position beside one not evaluated: the
    #: other's margin and PnL are missing from the cross equity); ``fresh`` is then False.
    incomplete: str | None = None
    #: The position's maintenance-margin tier table (the exchange's brackets), as evaluated.
    tiers: TierTable | None = None
    #: The symbol's funding interval (hours): its own where the exchange says it, else the exchange's default.
    funding_interval_hours: float | None = None
    #: The mark's 1-minute closes ``(minute start, epoch seconds; close)``, oldest first: the exchange's
    #: candles fetched at start, then live marks (liqwatch.risk.volatility.MinuteCloses). The detail plot's.
    mark_history: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True, slots=True)
class AccountView:
    name: str
    exchange: ExchangeId
    risk: AccountRisk | None
    positions: tuple[PositionView, ...]
    feeds: tuple[ChannelStatus, ...]
    fresh: bool
    status: Status
    synced: bool  # at least one full account snapshot has been applied
    disabled_reason: str | None = None
    funding_today: float = 0.0  # settled funding since 00:00 UTC (negative = paid)
    # Positions held but not evaluated, each with its reason (marks as last known); while there is one, the
    # account reads stale. ``mode_not_modelled``: the account's margin mode is not implemented, so no figure
    # of it is computed (``risk`` None) and every position is listed here.
    unevaluated: tuple[UnevaluatedPosition, ...] = ()
    mode_not_modelled: str | None = None
    #: Liquidations not acknowledged yet (oldest first): listed as LIQUIDATED, and the account is critical.
    liquidations: tuple[LiquidatedPosition, ...] = ()
    danger: Status = Status.OK  # the level its figures reach (liqwatch.danger), freshness aside
    #: Synced and every channel LIVE. ``fresh`` also needs every position evaluated: a position not evaluated
    #: leaves its margin and PnL out of the account's figures, so they are not shown as fresh.
    feeds_live: bool = False
    #: Exchange risk events whose alert is not acknowledged (their alert subjects): the account's status is
    #: at least their level meanwhile, as for a liquidation.
    exchange_events: tuple[str, ...] = ()
    #: Standing warnings about the account's set-up (an API key that can trade, one without an IP restriction).
    warnings: tuple[str, ...] = ()
    #: Its exchange's REST is paused for every account on it: an IP ban (HTTP 418, until its end) or a
    #: maintenance (HTTP 503, tried again at a slow cadence); None while REST flows.
    rest_pause: RestPause | None = None
    #: The exchange's clock minus ours at the last reconciliation (None before one): the clock-skew alert's.
    clock_offset_s: float | None = None
    #: The what-if's inputs, from the state these figures were computed from (None without figures).
    what_if: WhatIfInputs | None = None
    #: The danger levels this view was judged at: held for the next snapshot (see ``HeldLevels``).
    held_levels: HeldLevels = ()


@dataclass(frozen=True, slots=True)
class MonitorSnapshot:
    time: datetime
    version: int
    accounts: tuple[AccountView, ...]
    feeds: tuple[ChannelStatus, ...]
    status: Status
    #: The store's event log as it stands (typed risk events and feed notes, oldest first) and how many events
    #: it was ever given: what a reader remembering that count has not seen is ``events_since(count)``.
    events: tuple[LoggedEvent, ...] = ()
    events_total: int = 0
    #: Each retained event's number in that count (risk events and feed notes are bounded apart, so the
    #: retained ones are not simply the last ones added), and how many feed notes the log has dropped.
    event_numbers: tuple[int, ...] = ()
    notes_dropped: int = 0
    #: Every settled payment the store holds, as the exchanges booked them: (account, payment). The same
    #: tuple from one snapshot to the next until a payment arrives, so a reader can tell "nothing new" cheaply.
    funding_payments: tuple[tuple[str, FundingPayment], ...] = ()
    #: The event loop's last stall over a second (liqwatch.loop_lag), while it is reported: values received
    #: around it are held not fresh, and the loop-lag alert carries it.
    loop_lag_s: float | None = None
    #: The store's monotonic clock when ``time`` was read: how evaluation tells a step of the wall clock.
    monotonic: float | None = None
    #: Every channel LIVE and every active account synced (``MonitorStore.all_live``) at this snapshot.
    all_live: bool = False
    #: How old the state is that the alerts last judged, while it is over the engine's bound because their
    #: evaluation is slow or stuck (a locked database): the snapshot is current, its alerts are behind.
    #: None while they keep up (liqwatch.monitor_engine).
    alerts_behind_s: float | None = None

    @property
    def incidents(self) -> tuple[str, ...]:
        """The event log's lines, for display."""
        return tuple(e.line for e in self.events)

    def events_since(self, seen: int) -> tuple[LoggedEvent, ...]:
        return events_since(self.events, self.events_total, seen, self.event_numbers or None)

    def account(self, name: str) -> AccountView:
        for a in self.accounts:
            if a.name == name:
                return a
        raise KeyError(name)


def nearest_distance(v: AccountView) -> float | None:
    """How close the account is to liquidation: its nearest position's distance in % (None: unknown)."""
    known = [p.risk.distance_to_liquidation_pct for p in v.positions if p.risk.distance_to_liquidation_pct is not None]
    return min(known, default=None)


def _rank_key(v: AccountView) -> tuple[int, float, str]:
    # Closest to liquidation first, by its nearest position's distance: liquidated or without equity
    # (or with a liquidation not acknowledged yet) first, then by distance, then accounts without positions,
    # then those without data yet.
    if v.liquidations:
        return (0, 0.0, v.name)
    if v.risk is None:
        return (3, 0.0, v.name)
    if v.risk.equity_gone or v.risk.liquidated or any(p.risk.liquidated for p in v.positions):
        return (0, 0.0, v.name)
    nearest = nearest_distance(v)
    if nearest is None:
        return (2, 0.0, v.name)
    return (1, nearest, v.name)
