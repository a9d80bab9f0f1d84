"""Account and monitor status levels, ranked as ``check`` reports them (nagios numbering)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class Status(StrEnum):
    OK = "ok"
    WARNING = "warning"
    STALE = "stale"
    CRITICAL = "critical"

    @property
    def exit_code(self) -> int:
        return _EXIT[self]

    @property
    def rank(self) -> int:
        # critical ranks above stale, stale above warning: stale data may hide a critical account.
        return _RANK[self]


_EXIT = {Status.OK: 0, Status.WARNING: 1, Status.CRITICAL: 2, Status.STALE: 3}
_RANK = {Status.OK: 0, Status.WARNING: 1, Status.STALE: 2, Status.CRITICAL: 3}


def worst(statuses: list[Status] | tuple[Status, ...]) -> Status:
    return max(statuses, key=lambda s: s.rank, default=Status.OK)


@dataclass(frozen=True, slots=True)
class RiskThresholds:
    """Levels on ``risk`` (1.0 = liquidation). Liquidation-imminent counts as critical for the status."""

    warning: float = 0.5
    critical: float = 0.8
    liquidation_imminent: float = 0.9

    def __post_init__(self) -> None:
        if not (0 < self.warning < self.critical < self.liquidation_imminent):
            raise ValueError("thresholds must satisfy 0 < warning < critical < liquidation_imminent")

    def status_of(self, risk: float | None, liquidated: bool) -> Status:
        """The level of a risk. A risk that is not a finite number (NaN, inf: figures that overflowed) was not
        evaluated: it reads stale, never "ok" (NaN compares False with every threshold)."""
        if liquidated:
            return Status.CRITICAL
        if risk is not None and not math.isfinite(risk):
            return Status.STALE
        if risk is not None and risk >= self.critical:
            return Status.CRITICAL
        if risk is not None and risk >= self.warning:
            return Status.WARNING
        return Status.OK
