"""How the store's snapshot is built: figures, freshness, the one level of danger (liqwatch.danger, with the
levels held as the alerts hold theirs) and the ranking, as of one instant.

A pure function of the store's state and the time: nothing here writes to the store (nor to a channel, the
loop-lag monitor or an account book), so a reader can never move the state it reads. The danger levels it
judges are returned in the views (``AccountView.held_levels``); the engine holds them for the next build.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from liqwatch import danger
from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.clock import Clock
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import ChannelKind, ChannelState, ChannelStatus
from liqwatch.funding import funding_cashflow
from liqwatch.loop_lag import LoopLag
from liqwatch.model import Exchange, ExchangeId, FundingPayment, MarginMode, UnevaluatedPosition
from liqwatch.read_model import AccountView, MonitorSnapshot, PositionView, WhatIfInputs, _rank_key
from liqwatch.risk.reported import reported_account_risk
from liqwatch.risk.volatility import MinuteVolatility
from liqwatch.risk_events import EventLog
from liqwatch.status import Status, worst
from liqwatch.store_incremental import ViewCache
from liqwatch.store_state import _Account, _Market


class MonitorStore(Protocol):
    """What a build reads of ``liqwatch.store.MonitorStore`` (named here so that this module does not import
    the store that imports it)."""

    clock: Clock
    version: int
    market_max_age_s: float
    thresholds: ThresholdMap
    loop_lag: LoopLag | None
    events: EventLog
    _accounts: dict[str, _Account]
    _markets: dict[tuple[ExchangeId, str], _Market]
    _vols: dict[tuple[ExchangeId, str], MinuteVolatility]
    _views: ViewCache
    generation: int

    def _mark_for(self, exchange: ExchangeId, symbol: str) -> float | None: ...

    def funding_interval(self, exchange: ExchangeId, symbol: str) -> float: ...

    def all_live(self, now: float | None = None) -> bool: ...

    def _funding_payments(self) -> tuple[tuple[str, FundingPayment], ...]: ...


def build(store: MonitorStore, now_mono: float | None = None) -> MonitorSnapshot:
    """Every account's view at ``now_mono`` (default: the store's clock now), nearest to liquidation first.
    Reads the store and changes nothing in it: a channel's state is the one its freshness limit gives it at
    ``now_mono`` (``Channel.status``), the danger levels are judged from those the store holds and returned
    in ``AccountView.held_levels`` (``MonitorStore.hold_levels`` keeps them for the next). Incremental: an
    account whose inputs have not moved keeps the view object of the last build, while it is still true
    (liqwatch.store_incremental; the cache of views is all it writes, a memo of what it read)."""
    if now_mono is None:
        now_mono = store.clock.monotonic()
    cache = store._views
    views = []
    for acc in store._accounts.values():
        view = cache.reusable(store, acc, now_mono)
        if view is None:
            view = full_view(store, acc, now_mono)
            cache.keep(store, acc, view, now_mono)
        views.append(view)
    cache.built()
    return assemble(store, views, now_mono)


def full_build(store: MonitorStore, now_mono: float | None = None) -> MonitorSnapshot:
    """``build`` with every account evaluated afresh (no view reused, none kept): the reference the
    incremental build is tested against."""
    if now_mono is None:
        now_mono = store.clock.monotonic()
    return assemble(store, [full_view(store, acc, now_mono) for acc in store._accounts.values()], now_mono)


def full_view(store: MonitorStore, acc: _Account, now_mono: float) -> AccountView:
    """One account's view, evaluated afresh at ``now_mono``, its standing warnings included."""
    view = account_view(store, acc, now_mono)
    return replace(view, warnings=acc.warnings) if acc.warnings else view


def assemble(store: MonitorStore, views: list[AccountView], now_mono: float) -> MonitorSnapshot:
    """The snapshot of these views (one per account, in the store's order): ranked, with the store's log."""
    lag = store.loop_lag
    all_feeds: list[ChannelStatus] = [f for v in views for f in v.feeds]
    # Closest to liquidation first (the nearest position's distance; liquidated or no equity at the top).
    views = sorted(views, key=_rank_key)
    numbered = store.events.numbered()
    return MonitorSnapshot(
        time=store.clock.now(),
        version=store.version,
        accounts=tuple(views),
        feeds=tuple(all_feeds),
        status=worst([v.status for v in views]),
        events=tuple(e for _, e in numbered),
        events_total=store.events.total,
        event_numbers=tuple(n for n, _ in numbered),
        notes_dropped=store.events.notes_dropped,
        funding_payments=store._funding_payments(),
        loop_lag_s=lag.lag_in_effect(now_mono) if lag is not None else None,
        monotonic=now_mono,
        all_live=store.all_live(now_mono),
    )


def account_view(store: MonitorStore, acc: _Account, now_mono: float) -> AccountView:
    view = _account_view(store, acc, now_mono)
    if acc.rest_pause is None and acc.clock_offset_s is None:
        return view
    return replace(view, rest_pause=acc.rest_pause, clock_offset_s=acc.clock_offset_s)


def _account_view(store: MonitorStore, acc: _Account, now_mono: float) -> AccountView:
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
    symbols = {p.symbol for p in acc.book.positions()} | {p.symbol for p in acc.reported.values()}
    for symbol in symbols:
        vol = store._vols.get((acc.spec.exchange, symbol))
        sigmas[symbol] = vol.sigma_hour() if vol is not None else None
    if acc.reported_only:  # a generic account: the exchange's figures at the live marks, none of ours
        marks = {s: mk for s in symbols if (mk := store._mark_for(acc.spec.exchange, s)) is not None}
        risk = reported_account_risk(acc.reported_balance, tuple(acc.reported.values()), marks, sigmas)
    else:
        risk = acc.book.snapshot(sigmas)
    if acc.reported_equity is not None:
        reported, ours = acc.reported_equity
        risk = replace(risk, exchange_margin_balance=reported, exchange_margin_balance_gap=ours - reported)
    if acc.reported_free is not None:
        available, withdrawable, free = acc.reported_free
        # Ours is compared with the exchange's free margin; Hyperliquid reports only ``withdrawable``, which
        # for a cross account is the same figure (account value less margin used).
        theirs = available if available is not None else withdrawable
        gap = free - theirs if free is not None and theirs is not None else None
        risk = replace(risk, exchange_available_balance=available, exchange_withdrawable=withdrawable,
                       exchange_available_gap=gap)
    # The cross figures lack a not-evaluated position's margin and PnL unless it is known to be isolated.
    incomplete = next((f"{u.symbol} {u.side.value} not evaluated" for u in unevaluated
                       if u.margin_mode is not MarginMode.ISOLATED), None)
    # Which subjects have fresh figures, as the alerts judge them (``PositionView.fresh``, ``fresh``).
    # A mark is fresh within its market channel's age limit (a generic account's polled marks have a longer one).
    mark_limit = max((ch.max_age_s for ch in acc.channels if ch.kind is ChannelKind.MARKET),
                     default=store.market_max_age_s)
    pos_fresh = {danger.subject_of(pr): live and _mark_is_fresh(store, acc.spec.exchange, pr.symbol, now_mono,
                                                                mark_limit)
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
    levels = {(r.rule, r.subject): r.level for r in assessment.readings if r.level is not None} | kept
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
        mark_fresh = _mark_is_fresh(store, acc.spec.exchange, pr.symbol, now_mono, mark_limit)
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
                         incomplete=why, tiers=pos.tiers if pos is not None else None,
                         funding_interval_hours=store.funding_interval(acc.spec.exchange, pr.symbol),
                         mark_history=_mark_history(store, acc.spec.exchange, pr.symbol))
        )
    # One level (liqwatch.danger), and an unacknowledged liquidation or exchange event holds the account.
    level = worst([assessment.status, *(danger.status_of(v) for v in kept.values()),
                   *([pinned] if pinned is not None else [])])
    status = level
    # A position not evaluated may hide danger (its margin is missing from the account's): never "ok". Nor
    # while a position's own figures are not fresh: its levels are held, not judged (as its alerts).
    if not (fresh and all(pos_fresh.values())) and status is not Status.CRITICAL:
        status = Status.STALE
    # The what-if's inputs: the positions and wallet these figures come from, at their marks.
    marks_used = tuple({pr.symbol: pr.mark_price for pr in risk.positions}.items())
    inputs = WhatIfInputs(acc.book.rules, acc.book.wallet_balance, tuple(held.values()), marks_used,
                          tuple(acc.reported.values()), acc.reported_balance)
    return AccountView(acc.spec.name, acc.spec.exchange, risk, tuple(positions), feeds, fresh, status, True,
                       funding_today=today, unevaluated=unevaluated, liquidations=liquidated, danger=level,
                       feeds_live=live, exchange_events=events, what_if=inputs,
                       held_levels=tuple(levels.items()))


def _mark_history(store: MonitorStore, exchange: ExchangeId, symbol: str) -> tuple[tuple[float, float], ...]:
    vol = store._vols.get((exchange, symbol))
    return vol.closes.series() if vol is not None else ()


def _mark_is_fresh(store: MonitorStore, exchange: ExchangeId, symbol: str, now_mono: float,
                   limit_s: float | None = None) -> bool:
    """The symbol's own mark is recent: the account's channels may be live while it is not (a position
    that appeared on the user stream before its symbol was subscribed)."""
    m = store._markets.get((exchange, symbol))
    return m is not None and now_mono - m.receive_mono <= (store.market_max_age_s if limit_s is None else limit_s)


def _with_mark(store: MonitorStore, exchange: ExchangeId, u: UnevaluatedPosition) -> UnevaluatedPosition:
    mark = store._mark_for(exchange, u.symbol)
    return u if mark is None or mark == u.mark_price else replace(u, mark_price=mark)
