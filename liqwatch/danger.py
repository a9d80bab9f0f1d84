"""The one definition of danger: from an account's risk figures and its own thresholds, the level of each
rule (risk, distance to liquidation in %, in σ) for the account and each position, and their worst.

The store's status (and so the panes' row levels and ``check``'s exit code) and the alert rules all call
``assess`` with the account's thresholds (``[alerts]`` merged with ``[accounts.alerts]``), so an account
cannot be critical for its alerts and "warning" on screen. Levels come from ladders with hysteresis:
``held`` gives the level a rule holds now (the alert's, or the store's last), so a value inside a band
keeps its level in both places.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from liqwatch.alert_levels import AlertLevel, AlertRule, max_level
from liqwatch.config.alerts import AlertThresholds
from liqwatch.level_ladders import Ladder, falling, rising
from liqwatch.model import MarginMode, UnevaluatedPosition
from liqwatch.risk.evaluate import AccountRisk, PositionRisk
from liqwatch.status import Status

#: The level a rule holds now, for one subject ("" for the account, "SYMBOL side" for a position).
Held = Callable[[AlertRule, str], AlertLevel | None]


def _nothing_held(rule: AlertRule, subject: str) -> AlertLevel | None:
    return None


@dataclass(frozen=True, slots=True)
class Reading:
    """One rule's level for one subject."""

    rule: AlertRule
    subject: str
    value: float | None
    level: AlertLevel | None
    threshold: float | None  # the threshold of ``level``
    held: bool = False  # no value to judge by yet (σ before enough history): the level is kept as it was
    #: The value is not a finite number (figures that overflowed on absurd inputs): nothing can be judged, and
    #: the subject is never "ok" for it (NaN compares False with every threshold).
    unevaluable: bool = False


@dataclass(frozen=True, slots=True)
class Assessment:
    account: tuple[Reading, ...]  # the account's own risk (cross margin)
    positions: dict[str, tuple[Reading, ...]] = field(default_factory=dict)  # by subject
    cross_level: AlertLevel | None = None  # the account's risk level, which every cross position shares

    @property
    def readings(self) -> tuple[Reading, ...]:
        return self.account + tuple(r for rs in self.positions.values() for r in rs)

    @property
    def level(self) -> AlertLevel | None:
        return worst_level(r.level for r in self.readings)

    def position_level(self, subject: str, margin_mode: MarginMode) -> AlertLevel | None:
        own = worst_level(r.level for r in self.positions.get(subject, ()))
        return max_level(own, self.cross_level) if margin_mode is MarginMode.CROSS else own

    @property
    def status(self) -> Status:
        status = status_of(self.level)
        if status is not Status.CRITICAL and any(r.unevaluable for r in self.readings):
            return Status.STALE
        return status


def subject_of(r: PositionRisk | UnevaluatedPosition) -> str:
    return f"{r.symbol} {r.side.value}"


def worst_level(levels: Iterable[AlertLevel | None]) -> AlertLevel | None:
    out: AlertLevel | None = None
    for level in levels:
        out = max_level(out, level)
    return out


def status_of(level: AlertLevel | None) -> Status:
    """Liquidation-imminent counts as critical for the status (and the exit code)."""
    if level is None:
        return Status.OK
    return Status.CRITICAL if level.is_critical else Status.WARNING


def risk_ladder(t: AlertThresholds) -> Ladder:
    return rising(
        [(AlertLevel.WARNING, t.warning), (AlertLevel.CRITICAL, t.critical),
         (AlertLevel.LIQUIDATION_IMMINENT, t.liquidation_imminent)],
        band=t.hysteresis,
    )


def distance_pct_ladder(t: AlertThresholds) -> Ladder:
    return falling([(AlertLevel.WARNING, t.distance_pct_warning), (AlertLevel.CRITICAL, t.distance_pct_critical)])


def distance_sigma_ladder(t: AlertThresholds) -> Ladder:
    return falling([(AlertLevel.WARNING, t.distance_sigma_warning),
                    (AlertLevel.CRITICAL, t.distance_sigma_critical)])


def _read(rule: AlertRule, subject: str, ladder: Ladder, value: float | None, held: Held,
          forced: AlertLevel | None = None, hold: bool = False) -> Reading | None:
    if ladder.empty and forced is None:
        return None  # the rule is off
    current = held(rule, subject)
    if forced is not None:
        level: AlertLevel | None = forced
    elif hold:
        level = current
    elif value is None or not math.isfinite(value):
        level = None
    else:
        level = ladder.level_for(value, current)
    threshold = ladder.threshold_of(level) if level is not None else None
    unevaluable = forced is None and value is not None and not math.isfinite(value)
    return Reading(rule, subject, value, level, threshold, held=hold, unevaluable=unevaluable)


def account_readings(risk: AccountRisk, t: AlertThresholds, held: Held = _nothing_held) -> tuple[Reading, ...]:
    # No defined risk with cross positions open means equity <= 0: as bad as it gets. Without a cross
    # position there is no account-level risk (None): the reading clears, the isolated positions judge.
    forced = AlertLevel.LIQUIDATION_IMMINENT if risk.liquidated or risk.equity_gone else None
    if risk.figures_from != "liqwatch" and forced is None:
        return ()  # a generic account has no risk of ours: its positions' distances judge it
    value = risk.risk if risk.has_cross else 0.0
    reading = _read(AlertRule.RISK, "", risk_ladder(t), value, held, forced)
    return (reading,) if reading is not None else ()


def position_readings(r: PositionRisk, t: AlertThresholds, held: Held = _nothing_held) -> tuple[Reading, ...]:
    subject = subject_of(r)
    out: list[Reading | None] = []
    # A cross position shares the account's risk; a generic one has none of ours (its distance judges it).
    if r.margin_mode is MarginMode.ISOLATED and r.figures_from == "liqwatch":
        forced = AlertLevel.LIQUIDATION_IMMINENT if r.liquidated or r.risk is None else None
        out.append(_read(AlertRule.RISK, subject, risk_ladder(t), r.risk, held, forced))
    out.append(_read(AlertRule.DISTANCE_PCT, subject, distance_pct_ladder(t), r.distance_to_liquidation_pct, held))
    # No σ while a liquidation price exists means too little price history yet: hold, do not clear. The
    # distance and risk rules judge the position meanwhile (σ adds to them, never replaces them).
    no_sigma = r.distance_sigma is None and r.liquidation_price is not None
    out.append(_read(AlertRule.DISTANCE_SIGMA, subject, distance_sigma_ladder(t), r.distance_sigma, held,
                     hold=no_sigma))
    return tuple(x for x in out if x is not None)


def assess(risk: AccountRisk, t: AlertThresholds, held: Held = _nothing_held) -> Assessment:
    """Every rule's level for the account and its positions, under the account's thresholds ``t``."""
    account = account_readings(risk, t, held)
    positions = {subject_of(p): position_readings(p, t, held) for p in risk.positions}
    cross = worst_level(r.level for r in account)
    return Assessment(account, positions, cross)


def hold(assessment: Assessment, frozen: Callable[[str], bool], held: Held) -> Assessment:
    """``assessment`` with every reading of a subject whose data is not fresh (``frozen``) back at the level it
    held: the alerts freeze on stale data, so the status must not move on it either (one held level)."""

    def keep(readings: tuple[Reading, ...]) -> tuple[Reading, ...]:
        return tuple(r if not frozen(r.subject) else _held(r, held(r.rule, r.subject)) for r in readings)

    account = keep(assessment.account)
    positions = {s: keep(rs) for s, rs in assessment.positions.items()}
    return Assessment(account, positions, worst_level(r.level for r in account))


def _held(r: Reading, level: AlertLevel | None) -> Reading:
    return Reading(r.rule, r.subject, r.value, level, None, held=True)
