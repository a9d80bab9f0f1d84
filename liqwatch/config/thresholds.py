"""The thresholds in force for each account, and the engine's own options (not in the config file yet)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING

from liqwatch.config.alerts import AlertThresholds
from liqwatch.funding import default_interval_hours
from liqwatch.model import ExchangeId

if TYPE_CHECKING:
    from liqwatch.config.settings import Settings


@dataclass(frozen=True, slots=True)
class ThresholdMap:
    """``[alerts]`` merged with each account's ``[accounts.alerts]``; unknown accounts get the defaults."""

    default: AlertThresholds = field(default_factory=AlertThresholds)
    per_account: Mapping[str, AlertThresholds] = field(default_factory=lambda: MappingProxyType({}))

    def for_account(self, name: str) -> AlertThresholds:
        return self.per_account.get(name, self.default)

    @classmethod
    def from_settings(cls, settings: Settings) -> ThresholdMap:
        return cls(settings.alerts, MappingProxyType({a.name: settings.alerts_for(a) for a in settings.accounts}))


@dataclass(frozen=True, slots=True)
class EngineOptions:
    rearm_s: float = 300.0
    """After an alert clears (or falls below the level last announced), coming back within this time at
    a level already announced is logged but not sent again: a flapping value notifies once."""

    clock_skew_warning_s: float = 2.0
    """|local clock - exchange clock| that raises a warning (signed requests and freshness suffer)."""

    clock_skew_critical_s: float | None = None

    def settlements_per_day(self, exchange: ExchangeId, interval_hours: float | None = None) -> float:
        """24 h over the symbol's interval (as the snapshot carries it), else over its exchange's default."""
        return 24.0 / (interval_hours if interval_hours is not None else default_interval_hours(exchange))
