"""Hostile review of issue 9 section 3 (alerts, one definition of danger, liquidations), on the store and
the alert engine directly with a FakeClock. Each test fails on the code it was written against and passes
once the defect in its docstring is fixed."""

from __future__ import annotations

from datetime import timedelta

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertKey, AlertState
from liqwatch.clock import FakeClock
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.feed_channel import Channel, ChannelKind
from liqwatch.liquidations import LiquidatedPosition
from liqwatch.model import AccountSpec, AccountState, Exchange, MarginMode, MarkTick, Position, Side, Stamp
from liqwatch.risk.registry import risk_rules
from liqwatch.status import Status
from liqwatch.store import MonitorStore
from liqwatch.tiers import TierTable
from tests.alerts.alert_scenarios import RISK_ONLY_MAP, SYMBOL, T0, Scenario

LIQ_SUBJECT = f"liquidation {SYMBOL} long"


def _liq_alert(state: AlertState, account: str = "main") -> str:
    alert = state.active.get(AlertKey(account, AlertRule.RISK_EVENT, LIQ_SUBJECT))
    assert alert is not None, sorted(str(k) for k in state.active)
    return alert.message


def test_row_status_and_alert_agree_after_a_spell_of_stale_data() -> None:
    """DEFECT: the store's status and the alerts hold their hysteresis levels separately. While an account is
    not fresh its alerts are frozen (they keep their level), but ``MonitorStore._account_view`` keeps judging
    the stale figures and moves its own held level (``_Account.levels``). Risk 0.85 (critical in both), the
    user stream reconnects while marks keep coming and risk dips to 0.70 (the store's level falls to warning,
    the alert stays critical), then the stream is back with risk 0.77, inside the critical band: the alert is
    CRITICAL but the row, the status and ``check``'s exit code say WARNING (exit 1).
    EXPECTED: one held level for both, so a fresh account at 0.77 reads the alert's level (critical, exit 2)
    on screen and in ``check``, as the README's "one definition of danger" promises."""
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    user = Channel("main", "user", ChannelKind.MARKET, 3600.0)
    sc.store.add_channel(user)
    user.subscribed(sc.clock.monotonic())
    user.synced(sc.clock.monotonic())
    user.data(sc.clock.monotonic())
    state, _ = evaluate(AlertState(), sc.tick(risk=0.85), RISK_ONLY_MAP, sc.clock.now())
    key = AlertKey("main", AlertRule.RISK)
    assert state.active[key].level is AlertLevel.CRITICAL
    user.reconnecting("test: user stream dropped")
    snap = sc.tick(risk=0.70)
    assert not snap.account("main").fresh
    state, _ = evaluate(state, snap, RISK_ONLY_MAP, sc.clock.now())
    assert state.active[key].level is AlertLevel.CRITICAL  # frozen while not fresh
    user.subscribed(sc.clock.monotonic())
    user.synced(sc.clock.monotonic())
    user.data(sc.clock.monotonic())
    snap = sc.tick(risk=0.77)
    assert snap.account("main").fresh
    state, _ = evaluate(state, snap, RISK_ONLY_MAP, sc.clock.now())
    alert_level = state.active[key].level
    view = snap.account("main")
    assert (alert_level, view.status, snap.status.exit_code) == (AlertLevel.CRITICAL, Status.CRITICAL, 2), (
        f"alert {alert_level}, row {view.status}, exit {snap.status.exit_code}")


def test_a_position_closed_while_blind_is_not_ok_while_its_critical_alert_is_open() -> None:
    """DEFECT: when a REST reconciliation finds a position gone while the stream was blind, the engine raises
    a CRITICAL ``closed_while_blind`` alert (it may be a liquidation: the history look-up is still to answer,
    or it fails), but the account has no position left, so ``_account_view`` reads it "ok" and ``check``
    exits 0 while a critical alert is open. Status and alerts do not come from one place for risk events
    (the same holds for a MARGIN_CALL or an ADL notice: critical alert, status untouched).
    EXPECTED: while a critical risk-event alert about the account is open (not acknowledged), the account's
    status is critical, as it is for a liquidation not acknowledged."""
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = evaluate(AlertState(), sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    snap = sc.close_while_blind()
    state, _ = evaluate(state, snap, RISK_ONLY_MAP, sc.clock.now())
    blind = [a for a in state.active.values() if a.key.rule is AlertRule.RISK_EVENT]
    assert [a.level for a in blind] == [AlertLevel.CRITICAL], [a.message for a in state.active.values()]
    snap = sc.store.snapshot()
    assert snap.account("main").status is Status.CRITICAL and snap.status.exit_code == 2, (
        f"critical alert {blind[0].message!r} open, account reads {snap.account('main').status}, "
        f"check exits {snap.status.exit_code}")


def test_a_disabled_account_keeps_its_unacknowledged_liquidation() -> None:
    """DEFECT: ``_account_view`` returns early for a disabled account (e.g. its credentials are refused after
    a restart) with status STALE and no liquidations, although the store still holds an unacknowledged
    liquidation of it (restored from the last run, or seen before the account was disabled). The LIQUIDATED
    row disappears, the account reads stale and ``check`` exits 3 instead of 2.
    EXPECTED: an unacknowledged liquidation keeps the account critical and listed "whatever else it shows"
    (``liquidation_status``), disabled or not."""
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    liq = LiquidatedPosition("main", SYMBOL, Side.LONG, 1.0, 54_000.0, T0, size_before=1.0, realized_pnl=-6000.0)
    assert sc.store.record_liquidation(liq)
    sc.store.disable_account("main", "API key rejected (-2015)")
    view = sc.store.snapshot().account("main")
    assert view.liquidations == (liq,), view.liquidations
    assert view.status is Status.CRITICAL, view.status


def _slice(size: float, before: float, partial: bool, minutes: int) -> LiquidatedPosition:
    return LiquidatedPosition("main", SYMBOL, Side.LONG, size, 54_000.0, T0 + timedelta(minutes=minutes),
                              size_before=before, realized_pnl=-100.0, partial=partial)


def test_the_final_slice_turns_the_partial_liquidation_alert_into_a_full_one() -> None:
    """DEFECT: a partial liquidation raises a "partially liquidated" alert (subject ``liquidation SYMBOL
    side``); when the final slice closes the rest, the store's record becomes a full liquidation and its
    incident line says "LIQUIDATED", but ``_Builder.risk_event`` drops a risk event whose alert is already
    open at the same level ("one alert, no spam") without updating it: the alert the trader reads and
    acknowledges still says "partially liquidated (size 0.4 of 1)" while the position is gone.
    EXPECTED: the open alert is updated to a full liquidation with the total size taken (and the change is
    worth telling)."""
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = evaluate(AlertState(), sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    sc.store.record_liquidation(_slice(0.4, 1.0, True, 0))
    state, _ = evaluate(state, sc.tick(57_000.0), RISK_ONLY_MAP, sc.clock.now())
    assert "partially liquidated" in _liq_alert(state)
    sc.store.record_liquidation(_slice(0.6, 0.6, False, 1))
    record = sc.store.liquidations("main")[0]
    assert not record.partial and record.size_taken == 1.0  # the store has it right
    state, _ = evaluate(state, sc.close_while_blind(), RISK_ONLY_MAP, sc.clock.now())
    message = _liq_alert(state)
    assert "LIQUIDATED" in message and "partially" not in message and "size 1 of 1" in message, message


def test_a_second_partial_slice_updates_the_size_taken_in_the_alert() -> None:
    """DEFECT: a second slice of a partial liquidation adds up in the store (size 0.7 of 1 taken) but the open
    alert keeps the first slice's figures ("size 0.3 of 1"): the engine ignores a repeated risk event at
    the same level. EXPECTED: the alert shows the size taken so far (one alert, updated, not duplicated)."""
    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = evaluate(AlertState(), sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    sc.store.record_liquidation(_slice(0.3, 1.0, True, 0))
    state, _ = evaluate(state, sc.tick(57_000.0), RISK_ONLY_MAP, sc.clock.now())
    sc.store.record_liquidation(_slice(0.4, 0.7, True, 1))
    state, _ = evaluate(state, sc.tick(57_000.0), RISK_ONLY_MAP, sc.clock.now())
    liq_alerts = [a for a in state.active.values() if a.key.rule is AlertRule.RISK_EVENT]
    assert len(liq_alerts) == 1, [a.message for a in liq_alerts]
    assert "size 0.7 of 1" in liq_alerts[0].message, liq_alerts[0].message


def test_a_10x_position_at_the_assets_max_leverage_does_not_warn_at_open() -> None:
    """DEFECT (defaults): the risk warning at 0.5 fires at open for every isolated position opened at its
    asset's maximum leverage wherever maintenance is half the initial margin at that leverage: always on
    Hyperliquid (MM = notional / (2 x max leverage)), and on Binance's smaller symbols (20x max, 2.5 %
    maintenance). A 10x isolated long on a Hyperliquid asset whose max leverage is 10x sits 5 % from
    liquidation (far outside the 2 % distance rule, and more than half the README's 10x example's
    distance), yet its risk is 0.5 at open and any tick against it raises a WARNING: the trader is
    warned about every ordinary max-leverage position, and learns to ignore warnings.
    EXPECTED: with the defaults, a 10x-20x position that opens several % from liquidation is not warned
    about at open (the README says a normal position is not)."""
    clock = FakeClock(T0)
    store = MonitorStore(clock, ThresholdMap())
    spec = AccountSpec("hl", Exchange.HYPERLIQUID)
    store.add_account(spec, risk_rules(Exchange.HYPERLIQUID))
    ch = Channel("hl", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    ch.subscribed(clock.monotonic())
    entry, size = 150.0, 100.0
    pos = Position("SOL", Side.LONG, size, entry, MarginMode.ISOLATED, TierTable.flat(1 / (2 * 10.0)),
                   leverage=10, isolated_margin=entry * size / 10)
    store.apply(AccountState(spec, 1_000.0, (pos,)))
    ch.synced(clock.monotonic())
    clock.advance(1)
    mark = entry * 0.9995  # a twentieth of a percent against it, seconds after the open
    store.apply(MarkTick(Exchange.HYPERLIQUID, "SOL", mark, Stamp(clock.now(), clock.now())))
    ch.data(clock.monotonic())
    snap = store.snapshot()
    view = snap.account("hl")
    distance = view.positions[0].risk.distance_to_liquidation_pct
    assert distance is not None and distance > 4.0, distance
    _, events = evaluate(AlertState(), snap, ThresholdMap(), clock.now())
    assert (view.status, [(e.alert.key.rule.value, e.alert.level.value) for e in events]) == (Status.OK, []), (
        f"{distance:.2f} % from liquidation, risk {view.positions[0].risk.risk}")


def _isolated(symbol: str, entry: float, leverage: float) -> Position:
    size = 1.0
    return Position(symbol, Side.LONG, size, entry, MarginMode.ISOLATED, TierTable.flat(0.004), leverage=leverage,
                    isolated_margin=entry * size / leverage, mark_price=entry)


def test_the_positions_pane_ranks_positions_by_distance_to_liquidation() -> None:
    """DEFECT: by default the positions pane lists positions account by account (in the snapshot's account
    order), and within an account in the book's order, not by distance: account A (its 30x ETH long 2.9 %
    from liquidation, and a 5x BTC long 19.7 % away) and account B (a 10x SOL long 9.6 % away) list A's
    far BTC long before B's nearer SOL long, and A's BTC before A's ETH. The header and the accounts
    pane rank by the nearest position, the positions pane does not rank positions at all.
    EXPECTED (issue 9: "by default all three rank by distance to liquidation"): the positions pane's
    default order is nearest first: A ETH, B SOL, A BTC."""
    from widgets.position_rows import position_entries

    clock = FakeClock(T0)
    store = MonitorStore(clock, ThresholdMap())
    for name, positions in (("a", (_isolated("BTC/USDT:USDT", 60_000.0, 5), _isolated("ETH/USDT:USDT", 3_000.0, 30))),
                            ("b", (_isolated("SOL/USDT:USDT", 150.0, 10),))):
        spec = AccountSpec(name, Exchange.BINANCE)
        store.add_account(spec, risk_rules(Exchange.BINANCE))
        store.apply(AccountState(spec, 1_000.0, positions))
    snap = store.snapshot()
    order = [(a.name, p.risk.symbol.split("/")[0], round(p.risk.distance_to_liquidation_pct or 0.0, 1))
             for a in snap.accounts for p in a.positions]
    assert sorted(x[2] for x in order) == [2.9, 9.6, 19.7], order
    shown = [e.key for e in position_entries(snap)]
    expected = ["a|ETH/USDT:USDT|long", "b|SOL/USDT:USDT|long", "a|BTC/USDT:USDT|long"]
    assert [k.split(" ")[0] for k in shown] == expected, (shown, order)


def test_an_all_isolated_account_with_nothing_left_in_cross_is_not_liquidation_imminent() -> None:
    """DEFECT: an account whose every position is isolated and whose cross wallet is 0 (all its funds moved
    into the isolated margins: Hyperliquid's withdrawable 0, Binance's crossWalletBalance 0) gets account
    risk None from ``risk.evaluate.assemble`` (``0.0 if equity > 0 else None``), and
    ``danger.account_readings`` reads "no defined risk with positions open" as equity <= 0: LIQUIDATION
    IMMINENT, status critical, ``check`` exit 2, for a healthy 5x isolated long 19 % from liquidation.
    (Possibly the same root as the known all-isolated account-risk item; this is its alert side.)
    EXPECTED: with no cross position, the account's own risk rule has nothing to judge; the isolated
    positions' rules decide: ok here, no alert."""
    clock = FakeClock(T0)
    store = MonitorStore(clock, ThresholdMap())
    spec = AccountSpec("hl", Exchange.HYPERLIQUID)
    store.add_account(spec, risk_rules(Exchange.HYPERLIQUID))
    ch = Channel("hl", "mark", ChannelKind.MARKET, 5.0)
    store.add_channel(ch)
    ch.subscribed(clock.monotonic())
    pos = Position("ETH", Side.LONG, 1.0, 3_000.0, MarginMode.ISOLATED, TierTable.flat(1 / (2 * 25.0)),
                   leverage=5, isolated_margin=600.0, mark_price=3_000.0)
    store.apply(AccountState(spec, 0.0, (pos,)))
    ch.synced(clock.monotonic())
    store.apply(MarkTick(Exchange.HYPERLIQUID, "ETH", 3_000.0, Stamp(clock.now(), clock.now())))
    ch.data(clock.monotonic())
    snap = store.snapshot()
    view = snap.account("hl")
    assert (view.positions[0].risk.distance_to_liquidation_pct or 0.0) > 15.0
    _, events = evaluate(AlertState(), snap, ThresholdMap(), clock.now())
    assert (view.status, [(e.alert.key.rule.value, e.alert.level.value) for e in events]) == (Status.OK, []), (
        f"account risk {view.risk.risk if view.risk else None}")


def test_the_header_names_a_liquidated_account_as_the_worst_before_its_data_is_back() -> None:
    """DEFECT: the header's "worst" skips every account without figures (``a.risk is not None``), while the
    snapshot (and the accounts pane) rank an account with an unacknowledged liquidation first whatever
    else it shows. After a restart the liquidation is restored before the account's first snapshot; while
    that account cannot sync (exchange unreachable, a mode not modelled), the header names another,
    healthy account as the worst ("worst other OK"), the liquidation nowhere in it.
    EXPECTED: the header's worst is the accounts pane's first: the liquidated account, marked critical."""
    from widgets.header_lines import header_lines

    clock = FakeClock(T0)
    store = MonitorStore(clock, ThresholdMap())
    for name in ("liquidated", "other"):
        store.add_account(AccountSpec(name, Exchange.BINANCE), risk_rules(Exchange.BINANCE))
    store.apply(AccountState(AccountSpec("other", Exchange.BINANCE), 1_000.0,
                             (_isolated("SOL/USDT:USDT", 150.0, 5),)))
    store.record_liquidation(LiquidatedPosition("liquidated", "ETH/USDT:USDT", Side.LONG, 10.0, 2_915.0, T0),
                             announce=False)  # restored from the last run, its alert still open
    snap = store.snapshot()
    assert snap.accounts[0].name == "liquidated" and snap.accounts[0].status is Status.CRITICAL
    top = "".join(text for text, _ in header_lines(snap, (), 200)[0])
    assert "worst liquidated" in top, top


def test_a_plain_close_while_not_running_is_not_alerted_as_a_liquidation() -> None:
    """DEFECT: at start, a position of the last run that is gone and has no liquidation in the exchange's
    history gets the incident "<acct>: BTC/USDT:USDT long closed while liqwatch was not running (no
    liquidation in the exchange's history)" (``ExchangeAdapter._explain_closed``). ``event_from_incident``
    falls through to its catch-all ``liquidat`` pattern, which matches "no liquidation": a RiskEvent of kind
    LIQUIDATION at LIQUIDATION IMMINENT, latched until acknowledged, for a position the trader closed
    himself. The account meanwhile reads "ok" (no record), so ``check`` exits 0 under a liquidation alert.
    EXPECTED: a close the exchange's history does not show as a liquidation is at most a notice (a
    warning), never a liquidation alert."""
    from liqwatch.liquidations import ClosedSinceLastRun, ExchangeTime
    from liqwatch.risk_events import RiskEvent, RiskEventKind

    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = evaluate(AlertState(), sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    closed = ClosedSinceLastRun("ETH/USDT:USDT", Side.LONG, 2.0, ExchangeTime(T0))
    sc.store.report(RiskEvent(RiskEventKind.CLOSED, "main", f"{closed.symbol} {closed.side.value} closed "
                              f"{closed.when} (no liquidation in the exchange's history)", sc.clock.now(),
                              symbol=closed.symbol, side=closed.side, size=closed.size))
    state, _ = evaluate(state, sc.tick(59_000.0), RISK_ONLY_MAP, sc.clock.now())
    levels = {a.key.subject: a.level for a in state.active.values()}
    assert all(level.rank <= AlertLevel.WARNING.rank for level in levels.values()), levels


def test_a_liquidation_does_not_send_an_all_clear_for_its_account() -> None:
    """DEFECT: when the exchange liquidates an account's cross position, the account's risk rule has no
    position left to judge (``danger.account_readings`` reads risk 0.0), so its CRITICAL risk alert clears
    in the same evaluation that raises the liquidation, and a cleared critical alert is *sent* ("all
    clear", ``_Builder.clear``: notify when announced critical). The trader's phone gets "main: risk
    0.00, cleared" next to "BTC long LIQUIDATED", while the account reads critical.
    EXPECTED: while an account has a liquidation not acknowledged, nothing about it is announced as clear
    (its risk alert is held or closed silently; the liquidation alert says what happened)."""
    from liqwatch.alerts.model import EventKind
    from liqwatch.model import PositionUpdate

    sc = Scenario(thresholds=RISK_ONLY_MAP)
    state, _ = evaluate(AlertState(), sc.tick(risk=0.85), RISK_ONLY_MAP, sc.clock.now())
    assert state.active[AlertKey("main", AlertRule.RISK)].level is AlertLevel.CRITICAL
    sc.clock.advance(1)
    now = sc.clock.now()
    sc.store.record_liquidation(LiquidatedPosition("main", SYMBOL, Side.LONG, 1.0, 55_000.0, now, 1.0, -5_000.0))
    sc.store.apply(PositionUpdate("main", (SYMBOL, Side.LONG), None, Stamp(now, now)))
    sc.channel.data(sc.clock.monotonic())
    snap = sc.store.snapshot()
    assert snap.account("main").status is Status.CRITICAL
    state, events = evaluate(state, snap, RISK_ONLY_MAP, now)
    assert any(e.kind is EventKind.RAISED and e.alert.key.subject == LIQ_SUBJECT for e in events)
    sent_clear = [e.note or e.alert.message for e in events
                  if e.kind is EventKind.CLEARED and e.notify]
    assert sent_clear == [], sent_clear
