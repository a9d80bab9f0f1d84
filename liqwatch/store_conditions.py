"""What the feeds know of an exchange beside its data: a REST pause (IP ban, maintenance) and the measured
offset of its clock. A mixin of ``MonitorStore``; the snapshot carries both per account (``AccountView``),
where the alerts (ban, clock skew), ``check`` and the screens read them."""

from __future__ import annotations

from liqwatch.rest_pause import RestPause
from liqwatch.store_state import _Account


class ConditionsMixin:
    _accounts: dict[str, _Account]
    version: int

    def set_rest_pause(self, account: str, pause: RestPause | None) -> None:
        acc = self._accounts.get(account)
        if acc is not None and acc.rest_pause != pause:
            acc.rest_pause = pause
            self.version += 1

    def set_clock_offset(self, account: str, offset_s: float) -> None:
        """The exchange's clock minus ours, as last measured (at a reconciliation)."""
        acc = self._accounts.get(account)
        if acc is not None:
            acc.clock_offset_s = offset_s
