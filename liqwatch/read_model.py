"""The store's read side: the immutable views readers get (``MonitorSnapshot``, ``AccountView``,
``PositionView``) and how ``MonitorStore.snapshot`` builds them: figures, freshness, the one level of danger
(liqwatch.danger, with the levels held as the alerts hold theirs) and the ranking, nearest to liquidation
first. Everything here reads the store; nothing but the held levels (``_Account.levels``) is written.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING

from liqwatch import danger
from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.feed_channel import ChannelKind, ChannelState, ChannelStatus
from liqwatch.funding import funding_cashflow
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import Exchange, ExchangeId, FundingPayment, MarginMode, UnevaluatedPosition
from liqwatch.rest_pause import RestPause
from liqwatch.risk.evaluate import AccountRisk, PositionRisk
from liqwatch.risk_events import LoggedEvent, events_since
from liqwatch.status import Status, worst
from liqwatch.store_state import _Account

if TYPE_CHECKING:
    from liqwatch.store import MonitorStore


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
    #: The symbol's funding interval (hours): its own where the exchange says it, else the exchange's default.
    funding_interval_hours: float | None = None


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
    #: Every settled payment the store holds, as the exchanges booked them: (account, payment). The same
    #: tuple from one snapshot to the next until a payment arrives, so a reader can tell "nothing new" cheaply.
    funding_payments: tuple[tuple[str, FundingPayment], ...] = ()
    #: The event loop's last stall over a second (liqwatch.loop_lag), while it is reported: values received
    #: around it are held not fresh, and the loop-lag alert carries it.
    loop_lag_s: float | None = None
    #: The store's monotonic clock when ``time`` was read: how evaluation tells a step of the wall clock.
    monotonic: float | None = None

    @property
    def incidents(self) -> tuple[str, ...]:
        """The event log's lines, for display."""
        return tuple(e.line for e in self.events)

    def events_since(self, seen: int) -> tuple[LoggedEvent, ...]:
        return events_since(self.events, self.events_total, seen)

    def account(self, name: str) -> AccountView:
        for a in self.accounts:
            if a.name == name:
                return a
        raise KeyError(name)


def snapshot(store: MonitorStore) -> MonitorSnapshot:
    """Every account's view, nearest to liquidation first (``MonitorStore.snapshot``)."""
    now_mono = store.clock.monotonic()
    lag = store.loop_lag
    if lag is not None:
        lag.check(now_mono)  # a stall just over whose timer has not run yet holds the channels now
    views = []
    all_feeds: list[ChannelStatus] = []
    for acc in store._accounts.values():
        view = account_view(store, acc, now_mono)
        if acc.warnings:
            view = replace(view, warnings=acc.warnings)
        views.append(view)
        all_feeds.extend(view.feeds)
    # Closest to liquidation first (the nearest position's distance; liquidated or no equity at the top).
    views.sort(key=_rank_key)
    return MonitorSnapshot(
        time=store.clock.now(),
        version=store.version,
        accounts=tuple(views),
        feeds=tuple(all_feeds),
        status=worst([v.status for v in views]),
        events=store.events.items(),
        events_total=store.events.total,
        funding_payments=store._funding_payments(),
        loop_lag_s=lag.lag_in_effect(now_mono) if lag is not None else None,
        monotonic=now_mono,
    )


def account_view(store: MonitorStore, acc: _Account, now_mono: float) -> AccountView:
    view = _account_view(store, acc, now_mono)
    if acc.rest_pause is None and acc.clock_offset_s is None:
        return view
    return replace(view, rest_pause=acc.rest_pause, clock_offset_s=acc.clock_offset_s)


def _account_view(store: MonitorStore, acc: _Account, now_mono: float) -> AccountView:
    for ch in acc.channels:
        ch.check(now_mono)
    feeds = tuple(ch.status(now_mono) for ch in acc.channels)
    live = acc.synced and bool(feeds) and all(f.state is ChannelState.LIVE for f in feeds)
    fresh = live and not acc.unevaluated
    liquidated = tuple(sorted(acc.liquidations.values(), key=lambda r: r.time))
    # Unacknowledged liquidations and exchange risk events hold the status, whatever else it shows.
    pinned = acc.pinned()
    events = tuple(sorted(acc.events))
    if acc.disabled_reason is not None:
        return AccountView(acc.spec.name, acc.spec.exchange, None, (), feeds, False, pinned or Status.STALE,
                           False, acc.disabled_reason, liquidations=liquidated, exchange_events=events)
    midnight = store.clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    today = acc.funding.total_since(midnight)
    unevaluated = tuple(_with_mark(store, acc.spec.exchange, u) for u in acc.unevaluated.values())
    if acc.mode_not_modelled is not None:
        # No figure computed under rules that are not the account's: stale, with the reason.
        return AccountView(acc.spec.name, acc.spec.exchange, None, (), feeds, False, pinned or Status.STALE,
                           acc.synced, funding_today=today, unevaluated=unevaluated,
                           mode_not_modelled=acc.mode_not_modelled, liquidations=liquidated,
                           exchange_events=events)
    if not acc.synced:
        return AccountView(acc.spec.name, acc.spec.exchange, None, (), feeds, False, pinned or Status.STALE,
                           False, liquidations=liquidated, exchange_events=events)
    sigmas = {}
    for p in acc.book.positions():
        vol = store._vols.get((acc.spec.exchange, p.symbol))
        sigmas[p.symbol] = vol.sigma_hour() if vol is not None else None
    risk = acc.book.snapshot(sigmas)
    if acc.reported_equity is not None:
        reported, ours = acc.reported_equity
        risk = replace(risk, exchange_margin_balance=reported, exchange_margin_balance_gap=ours - reported)
    # The cross figures lack a not-evaluated position's margin and PnL unless it is known to be isolated.
    incomplete = next((f"{u.symbol} {u.side.value} not evaluated" for u in unevaluated
                       if u.margin_mode is not MarginMode.ISOLATED), None)
    # Which subjects have fresh figures, as the alerts judge them (``PositionView.fresh``, ``fresh``).
    pos_fresh = {danger.subject_of(pr): live and _mark_is_fresh(store, acc.spec.exchange, pr.symbol, now_mono)
                 and (incomplete is None or pr.margin_mode is not MarginMode.CROSS) for pr in risk.positions}

    def frozen(subject: str) -> bool:
        return not fresh if subject == "" else not pos_fresh.get(subject, False)

    def held_level(rule: AlertRule, subject: str) -> AlertLevel | None:
        return acc.levels.get((rule, subject))

    # The account's own thresholds, with the levels held since the last snapshot; on data that is not
    # fresh the levels stay as they were, exactly as its alerts are frozen (one held level for both).
    assessment = danger.hold(danger.assess(risk, store.thresholds.for_account(acc.spec.name), held_level),
                             frozen, held_level)
    # A position not evaluated keeps the levels it had (as its alerts are held), never cleared by it.
    missing = {danger.subject_of(u) for u in unevaluated}
    kept = {k: v for k, v in acc.levels.items() if k[1] in missing}
    acc.levels = {(r.rule, r.subject): r.level for r in assessment.readings if r.level is not None} | kept
    positions = []
    held = {p.key: p for p in acc.book.positions()}
    # The positions and wallet as last confirmed: the age of the account's quiet channels (their last
    # event or reconciliation).
    state_age = max((f.age_s for f in feeds if f.kind is ChannelKind.QUIET and f.age_s is not None), default=None)
    liq_limit = max((ch.max_age_s for ch in acc.channels if ch.kind is ChannelKind.QUIET),
                    default=store.market_max_age_s)
    for pr in risk.positions:
        m = store._markets.get((acc.spec.exchange, pr.symbol))
        age = now_mono - m.receive_mono if m is not None else None
        rate = m.state.funding_rate if m is not None else None
        price = pr.mark_price
        if acc.spec.exchange == Exchange.HYPERLIQUID and m is not None and m.state.oracle_price is not None:
            price = m.state.oracle_price  # Hyperliquid funds on the oracle price
        next_pay = funding_cashflow(pr.side, pr.size, price, rate) if rate is not None else None
        opened = acc.opened_at.get((pr.symbol, pr.side))
        pos = held.get((pr.symbol, pr.side))
        if pos is not None and pos.exchange_funding_since_open is not None:
            paid: float | None = pos.exchange_funding_since_open
        else:
            paid = acc.leg_funding.since(pr.symbol, opened, pr.side) if acc.leg_funding else None
        st = danger.status_of(assessment.position_level(danger.subject_of(pr), pr.margin_mode))
        mark_fresh = _mark_is_fresh(store, acc.spec.exchange, pr.symbol, now_mono)
        # A row's age is that of its oldest data: its mark, or the positions and wallet as last confirmed.
        age = max((a for a in (age, state_age) if a is not None), default=None)
        liq_at = acc.liq_mono.get((pr.symbol, pr.side))
        liq_age = now_mono - liq_at if liq_at is not None else None
        why = incomplete if pr.margin_mode is MarginMode.CROSS else None
        positions.append(
            PositionView(pr, live and mark_fresh and why is None, age, rate,
                         m.state.next_funding_time if m is not None else None, next_pay, paid, st,
                         exchange_liq_age_s=liq_age,
                         exchange_liq_fresh=live and liq_age is not None and liq_age <= liq_limit,
                         incomplete=why, funding_interval_hours=store.funding_interval(acc.spec.exchange, pr.symbol))
        )
    # One level (liqwatch.danger), and an unacknowledged liquidation or exchange event holds the account.
    level = worst([assessment.status, *(danger.status_of(v) for v in kept.values()),
                   *([pinned] if pinned is not None else [])])
    status = level
    # A position not evaluated may hide danger (its margin is missing from the account's): never "ok". Nor
    # while a position's own figures are not fresh: its levels are held, not judged (as its alerts).
    if not (fresh and all(pos_fresh.values())) and status is not Status.CRITICAL:
        status = Status.STALE
    return AccountView(acc.spec.name, acc.spec.exchange, risk, tuple(positions), feeds, fresh, status, True,
                       funding_today=today, unevaluated=unevaluated, liquidations=liquidated, danger=level,
                       feeds_live=live, exchange_events=events)


def _mark_is_fresh(store: MonitorStore, exchange: ExchangeId, symbol: str, now_mono: float) -> bool:
    """The symbol's own mark is recent: the account's channels may be live while it is not (a position
    that appeared on the user stream before its symbol was subscribed)."""
    m = store._markets.get((exchange, symbol))
    return m is not None and now_mono - m.receive_mono <= store.market_max_age_s


def _with_mark(store: MonitorStore, exchange: ExchangeId, u: UnevaluatedPosition) -> UnevaluatedPosition:
    mark = store._mark_for(exchange, u.symbol)
    return u if mark is None or mark == u.mark_price else replace(u, mark_price=mark)


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
