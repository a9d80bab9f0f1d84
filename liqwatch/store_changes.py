"""What changed in the store since its last build, and who is told: a mixin of ``MonitorStore``.

Every change to the store's state ends in ``_bump(...)`` once it is complete: the accounts whose views it may
change are marked dirty (the incremental build, liqwatch.store_incremental, re-evaluates only those), the
version moves, and the change listeners (``on_change``: the engine's wake-up) are called. Bumping after the
change, never before, is what lets a listener read the new state. A listener that raises is logged and the
others still run: a broken reader must not break a store update (the feed applying it would fail).

``thresholds`` is a property for the same reason: replacing them (a configuration reload) dirties every
account, whose levels depend on them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from liqwatch.config.thresholds import ThresholdMap
from liqwatch.store_state import _Account

log = logging.getLogger(__name__)

#: Called with no argument after each change (the store's version already moved).
ChangeListener = Callable[[], None]


class ChangesMixin:
    _accounts: dict[str, _Account]
    version: int

    def _init_changes(self, thresholds: ThresholdMap) -> None:
        self.version = 0
        self.on_change: list[ChangeListener] = []
        #: Moves when every account's view may have changed (each account's own count is ``_Account.changes``).
        self.generation = 0
        self._thresholds = thresholds
        self.listener_errors = 0

    @property
    def thresholds(self) -> ThresholdMap:
        """Each account's own thresholds, as its alerts use them."""
        return self._thresholds

    @thresholds.setter
    def thresholds(self, value: ThresholdMap) -> None:
        self._thresholds = value
        if hasattr(self, "on_change"):  # not while the store is being made
            self._bump_all()

    # --- marking --------------------------------------------------------------------------------------
    def _dirty_add(self, name: str) -> None:
        """``name``'s view may change (no version bump: the caller bumps once its change is complete)."""
        if (acc := self._accounts.get(name)) is not None:
            acc.changes += 1

    def _dirty_exchange(self, exchange: str) -> None:
        for acc in self._accounts.values():
            if acc.spec.exchange == exchange:
                acc.changes += 1

    def _bump(self, *names: str) -> None:
        """A change is complete: ``names`` (and whatever was marked with ``_dirty_add``) are dirty."""
        for name in names:
            self._dirty_add(name)
        self._changed()

    def _bump_all(self) -> None:
        """A change complete that may move every account's view (thresholds, σ seeded, ...)."""
        self.generation += 1
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        for listen in tuple(self.on_change):
            try:
                listen()
            except Exception:  # a reader's bug must not undo (or half-apply) the feed's update
                self.listener_errors += 1
                log.exception("store: change listener failed")
