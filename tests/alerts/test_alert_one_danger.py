"""One definition of danger: an account's status, its row, its alerts and ``check``'s exit code come from
``liqwatch.danger`` with the account's own thresholds (``[alerts]`` merged with ``[accounts.alerts]``)."""

from __future__ import annotations

from types import MappingProxyType

from liqwatch.alert_levels import AlertLevel, AlertRule
from liqwatch.alerts.engine import evaluate
from liqwatch.alerts.model import AlertKey, AlertState
from liqwatch.config.alerts import AlertOverrides
from liqwatch.config.thresholds import ThresholdMap
from liqwatch.status import Status
from tests.alerts.alert_scenarios import RISK_ONLY, Scenario
from widgets.account_rows import account_entry
from widgets.position_rows import position_entry


def _per_account(**overrides: float) -> ThresholdMap:
    """``[accounts.alerts]`` of account "main" over the global ``[alerts]``, as ``Settings.alerts_for`` does."""
    merged = AlertOverrides.model_validate(overrides).merged_over(RISK_ONLY)
    return ThresholdMap(RISK_ONLY, MappingProxyType({"main": merged}))


def test_a_per_account_critical_level_is_the_status_the_row_the_alert_and_the_exit_code() -> None:
    thresholds = _per_account(critical=0.6)
    sc = Scenario(thresholds=thresholds)
    snap = sc.tick(risk=0.65)
    _, events = evaluate(AlertState(), snap, thresholds, sc.clock.now())
    assert [(e.alert.key, e.alert.level) for e in events] == [(AlertKey("main", AlertRule.RISK), AlertLevel.CRITICAL)]
    view = snap.account("main")
    assert view.status is Status.CRITICAL and view.danger is Status.CRITICAL
    assert snap.status.exit_code == 2  # what `check` exits with
    assert account_entry(view).cells[0] == ("!! CRIT", "critical")
    assert view.positions[0].status is Status.CRITICAL  # a cross position shares its account's level
    assert position_entry(view, view.positions[0], snap.time).cells[3] == ("!! CRIT", "critical")


def test_the_global_levels_do_not_judge_an_account_with_its_own() -> None:
    # Raised above the global warning: at 0.55 the account is fine by its own rules, for status and alerts.
    thresholds = _per_account(warning=0.6, critical=0.7)
    sc = Scenario(thresholds=thresholds)
    snap = sc.tick(risk=0.55)
    assert evaluate(AlertState(), snap, thresholds, sc.clock.now())[1] == []
    assert snap.account("main").status is Status.OK and snap.status.exit_code == 0


def test_status_holds_a_level_inside_the_hysteresis_band_as_the_alert_does() -> None:
    thresholds = ThresholdMap(RISK_ONLY)  # critical 0.8, hysteresis 0.05: held down to 0.75
    sc = Scenario(thresholds=thresholds)
    state, _ = evaluate(AlertState(), sc.tick(risk=0.85), thresholds, sc.clock.now())
    snap = sc.tick(risk=0.77)
    state, _ = evaluate(state, snap, thresholds, sc.clock.now())
    assert state.active[AlertKey("main", AlertRule.RISK)].level is AlertLevel.CRITICAL
    assert snap.account("main").status is Status.CRITICAL
    snap = sc.tick(risk=0.70)
    state, _ = evaluate(state, snap, thresholds, sc.clock.now())
    assert state.active[AlertKey("main", AlertRule.RISK)].level is AlertLevel.WARNING
    assert snap.account("main").status is Status.WARNING


def test_distance_rules_raise_the_status_with_the_alert() -> None:
    # Risk 0.3 is ~1.2 % from liquidation for the scenario's cross long: the default 2 % distance warns.
    thresholds = ThresholdMap()
    sc = Scenario(thresholds=thresholds)
    snap = sc.tick(risk=0.3)
    _, events = evaluate(AlertState(), snap, thresholds, sc.clock.now())
    assert [(e.alert.key.rule, e.alert.level) for e in events] == [(AlertRule.DISTANCE_PCT, AlertLevel.WARNING)]
    assert snap.account("main").status is Status.WARNING


def test_sigma_rules_add_to_the_others_once_sigma_is_known() -> None:
    # The scenario's 6x cross long sits ~15 % from liquidation at 59k: far by % and by risk. Marks swinging
    # 3 % a minute make that distance under 1 hourly σ once ten minutes of returns exist.
    thresholds = ThresholdMap()
    sc = Scenario(thresholds=thresholds, max_age_s=120.0)
    state = AlertState()
    sigma_key = AlertKey("main", AlertRule.DISTANCE_SIGMA, "BTC/USDT:USDT long")
    for minute in range(14):
        snap = sc.tick(59_000.0 * (1.03 if minute % 2 else 1.0), advance=60.0)
        state, _ = evaluate(state, snap, thresholds, sc.clock.now())
        pos = snap.account("main").positions[0]
        if pos.risk.distance_sigma is None:  # too little history: judged by % and risk alone
            assert snap.account("main").status is Status.OK and sigma_key not in state.active
    assert pos.risk.distance_to_liquidation_pct is not None and pos.risk.distance_to_liquidation_pct > 10
    assert pos.risk.distance_sigma is not None and 0.5 < pos.risk.distance_sigma < 1.0
    assert state.active[sigma_key].level is AlertLevel.WARNING
    assert snap.account("main").status is Status.WARNING and pos.status is Status.WARNING
