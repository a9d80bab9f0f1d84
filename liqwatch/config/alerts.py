"""Alert thresholds: the global ``[alerts]`` table and the per-account ``[accounts.alerts]`` overrides.

``risk`` is maintenance margin / equity: 0 is no risk, 1.0 is the exchange's liquidation point.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from liqwatch.config.errors import field_error

MODEL_CONFIG = ConfigDict(extra="forbid", hide_input_in_errors=True, frozen=True, use_attribute_docstrings=True)

RiskLevel = Annotated[float, Field(gt=0, le=1.5)]
Hysteresis = Annotated[float, Field(ge=0, lt=0.5)]
DistancePct = Annotated[float, Field(gt=0, le=100)]
DistanceSigma = Annotated[float, Field(gt=0, le=20)]
Seconds = Annotated[float, Field(gt=0, le=3600)]
FundingPerDay = Annotated[float, Field(gt=0)]


class AlertDelivery(BaseModel):
    """``[alerts.delivery]``: reserved for how alerts reach you (bell, desktop notification, command).

    It accepts no option yet; alerts are shown in the app. The table exists so that configs written for
    a later version fail with a clear "unknown option" instead of being silently ignored.
    """

    model_config = MODEL_CONFIG


class AlertThresholds(BaseModel):
    """``[alerts]``: when an account or position raises an alert. Also the effective thresholds of one
    account (see ``Settings.alerts_for``)."""

    model_config = MODEL_CONFIG

    warning: RiskLevel = 0.5
    """Risk (maintenance margin / equity) at which a warning is raised. In (0, 1.5]."""

    critical: RiskLevel = 0.8
    """Risk at which the alert becomes critical. Must be above ``warning``."""

    liquidation_imminent: RiskLevel = 0.9
    """Risk at which liquidation is imminent (1.0 is the liquidation point). Must be above ``critical``."""

    hysteresis: Hysteresis = 0.05
    """How far risk must fall below a level before its alert clears, so that a ratio hovering at a
    threshold does not flap. In risk units, in [0, 0.5) and below ``warning``."""

    distance_pct_warning: DistancePct | None = None
    """Optional: warn when the mark price is within this many percent of the liquidation price."""

    distance_pct_critical: DistancePct | None = None
    """Optional: critical when the mark price is within this many percent of the liquidation price.
    Must be below ``distance_pct_warning`` when both are set."""

    distance_sigma_warning: DistanceSigma | None = None
    """Optional: warn when liquidation is within this many standard deviations of the recent price moves
    (volatility-scaled distance)."""

    distance_sigma_critical: DistanceSigma | None = None
    """Optional: critical when liquidation is within this many standard deviations. Must be below
    ``distance_sigma_warning`` when both are set."""

    stale_feed_s: Seconds = 30.0
    """Alert when an account's feed has delivered nothing for this many seconds. In (0, 3600]."""

    funding_cost_per_day: FundingPerDay | None = None
    """Optional: alert when the projected funding paid per day exceeds this amount, in the account's
    settlement currency (e.g. USDT)."""

    delivery: AlertDelivery = AlertDelivery()
    """``[alerts.delivery]``: reserved (see ``AlertDelivery``); global only."""

    @model_validator(mode="after")
    def _check_order(self) -> AlertThresholds:
        if not self.warning < self.critical:
            raise field_error("critical", "must be greater than warning (warning < critical < liquidation_imminent)")
        if not self.critical < self.liquidation_imminent:
            raise field_error(
                "liquidation_imminent",
                "must be greater than critical (warning < critical < liquidation_imminent)",
            )
        if not self.hysteresis < self.warning:
            raise field_error("hysteresis", "must be smaller than warning, or the warning could never clear")
        _check_distance_pair(self.distance_pct_warning, self.distance_pct_critical, "distance_pct")
        _check_distance_pair(self.distance_sigma_warning, self.distance_sigma_critical, "distance_sigma")
        return self


def _check_distance_pair(warning: float | None, critical: float | None, stem: str) -> None:
    # A smaller distance is closer to liquidation, so the critical distance is the smaller one.
    if warning is not None and critical is not None and not critical < warning:
        raise field_error(f"{stem}_critical", f"must be smaller than {stem}_warning (closer to liquidation)")


class AlertOverrides(BaseModel):
    """``[accounts.alerts]``: per-account overrides of ``[alerts]``; an option left out keeps the global
    value. The merged result must satisfy the same rules as ``[alerts]``."""

    model_config = MODEL_CONFIG

    warning: RiskLevel | None = None
    """Overrides ``[alerts].warning`` for this account."""

    critical: RiskLevel | None = None
    """Overrides ``[alerts].critical`` for this account."""

    liquidation_imminent: RiskLevel | None = None
    """Overrides ``[alerts].liquidation_imminent`` for this account."""

    hysteresis: Hysteresis | None = None
    """Overrides ``[alerts].hysteresis`` for this account."""

    distance_pct_warning: DistancePct | None = None
    """Overrides ``[alerts].distance_pct_warning`` for this account."""

    distance_pct_critical: DistancePct | None = None
    """Overrides ``[alerts].distance_pct_critical`` for this account."""

    distance_sigma_warning: DistanceSigma | None = None
    """Overrides ``[alerts].distance_sigma_warning`` for this account."""

    distance_sigma_critical: DistanceSigma | None = None
    """Overrides ``[alerts].distance_sigma_critical`` for this account."""

    stale_feed_s: Seconds | None = None
    """Overrides ``[alerts].stale_feed_s`` for this account."""

    funding_cost_per_day: FundingPerDay | None = None
    """Overrides ``[alerts].funding_cost_per_day`` for this account."""

    def merged_over(self, defaults: AlertThresholds) -> AlertThresholds:
        """The thresholds in force: these overrides over ``defaults``. Raises ``ValidationError``."""
        merged: dict[str, Any] = defaults.model_dump()
        merged.update(self.model_dump(exclude_none=True))
        return AlertThresholds.model_validate(merged)
