"""Threshold ladders with hysteresis: the level of a value, given the level it had before.

A level is entered when the value reaches its threshold and left only once the value is back past the
threshold's clear bound (the hysteresis band), so a value hovering at a threshold does not flap.
"""

from __future__ import annotations

from dataclasses import dataclass

from liqwatch.alert_levels import AlertLevel, rank_of

# Distances, funding and clock skew have no configured band; a tenth of the threshold keeps a value
# jittering around it from flapping without holding an alert long after the danger passed.
RELATIVE_BAND = 0.1


@dataclass(frozen=True, slots=True)
class Step:
    level: AlertLevel
    threshold: float
    clear_at: float  # the value is held at this level until it is back past this bound


@dataclass(frozen=True, slots=True)
class Ladder:
    steps: tuple[Step, ...]
    higher_is_worse: bool = True

    def _reached(self, value: float, bound: float) -> bool:
        return value >= bound if self.higher_is_worse else value <= bound

    def level_for(self, value: float, current: AlertLevel | None) -> AlertLevel | None:
        """The new level: any threshold reached raises; the current level (or a lower one) holds while the
        value has not gone back past its clear bound."""
        best: AlertLevel | None = None
        for step in self.steps:
            entered = self._reached(value, step.threshold)
            held = step.level.rank <= rank_of(current) and self._reached(value, step.clear_at)
            if (entered or held) and step.level.rank > rank_of(best):
                best = step.level
        return best

    def threshold_of(self, level: AlertLevel | None) -> float | None:
        for step in self.steps:
            if step.level is level:
                return step.threshold
        return None

    @property
    def empty(self) -> bool:
        return not self.steps


def rising(levels: list[tuple[AlertLevel, float | None]], band: float | None = None) -> Ladder:
    """A ladder where higher is worse (risk, funding cost, skew). ``band`` is absolute; by default a tenth
    of each threshold."""
    return Ladder(
        tuple(
            Step(level, t, t - (band if band is not None else t * RELATIVE_BAND))
            for level, t in levels
            if t is not None
        ),
        higher_is_worse=True,
    )


def falling(levels: list[tuple[AlertLevel, float | None]]) -> Ladder:
    """A ladder where lower is worse (distance to liquidation): it clears a tenth above the threshold."""
    return Ladder(
        tuple(Step(level, t, t * (1 + RELATIVE_BAND)) for level, t in levels if t is not None),
        higher_is_worse=False,
    )
