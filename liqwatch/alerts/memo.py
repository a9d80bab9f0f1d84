"""What the alert evaluation keeps between snapshots to skip the accounts whose view did not change.

The incremental snapshot (liqwatch.store_incremental) hands an unchanged account's view over as the same
object. Its rule observations are a pure function of that view, its thresholds, the engine's options and the
levels its alerts hold (hysteresis): when all of these are as at the last evaluation, the observations are
those of then, and they are reused instead of judged again. Its position activity is a comparison of the view
with the positions last seen: when the view is the one those were taken from (and the positions last seen are
still the mapping that comparison left, so the memo and the state can never drift apart), nothing can have
changed. Either way the evaluation's result is exactly that of a full one (tests compare the two).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.model import AlertKey
from liqwatch.config.alerts import AlertThresholds
from liqwatch.config.thresholds import EngineOptions
from liqwatch.read_model import AccountView

if TYPE_CHECKING:  # each imports this module
    from liqwatch.alerts.position_activity import Key, Seen
    from liqwatch.alerts.rules import Observation

#: The levels one account's alerts hold, in key order: the hysteresis its rules read.
Held = tuple[tuple[AlertKey, AlertLevel], ...]


@dataclass(slots=True)
class _Observed:
    view: AccountView
    thresholds: AlertThresholds
    options: EngineOptions
    held: Held
    observations: tuple[Observation, ...]


@dataclass(slots=True)
class EvaluationMemo:
    observed: dict[str, _Observed] = field(default_factory=dict)
    #: Per account: the view whose positions the activity state last took, and the mapping it left.
    activity: dict[str, tuple[AccountView, Mapping[Key, Seen]]] = field(default_factory=dict)
    reused: int = 0
    judged: int = 0

    def observations(self, view: AccountView, t: AlertThresholds, options: EngineOptions, held: Held
                     ) -> tuple[Observation, ...] | None:
        e = self.observed.get(view.name)
        if (e is None or e.view is not view or e.options is not options or e.held != held
                or (e.thresholds is not t and e.thresholds != t)):
            return None
        self.reused += 1
        return e.observations

    def keep(self, view: AccountView, t: AlertThresholds, options: EngineOptions, held: Held,
             observations: tuple[Observation, ...]) -> None:
        self.judged += 1
        self.observed[view.name] = _Observed(view, t, options, held, observations)
