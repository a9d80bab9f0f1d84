"""What the feeds know of an exchange beside its data: a REST pause (IP ban, maintenance) and the measured
offset of its clock. A mixin of ``MonitorStore``; the snapshot carries both per account (``AccountView``),
where the alerts (ban, clock skew), ``check`` and the screens read them."""

from __future__ import annotations

from datetime import UTC, datetime

from liqwatch.model import ExchangeId
from liqwatch.rest_pause import RestPause
from liqwatch.store_changes import ChangesMixin
from liqwatch.store_state import _Account, _Market

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class ConditionsMixin(ChangesMixin):
    _accounts: dict[str, _Account]
    _markets: dict[tuple[ExchangeId, str], _Market]
    version: int

    def note(self, account: str, text: str) -> None: ...

    def set_rest_pause(self, account: str, pause: RestPause | None) -> None:
        acc = self._accounts.get(account)
        if acc is not None and acc.rest_pause != pause:
            acc.rest_pause = pause
            self._bump(account)

    def set_clock_offset(self, account: str, offset_s: float) -> None:
        """The exchange's clock minus ours, as last measured (at a reconciliation)."""
        acc = self._accounts.get(account)
        if acc is not None and acc.clock_offset_s != offset_s:
            acc.clock_offset_s = offset_s
            self._bump(account)

    def forget_times_after(self, account: str, limit: datetime) -> int:
        """Drop every ordering time of ``account`` (and of its exchange's marks) later than ``limit``, the
        exchange's clock as just measured: such a time cannot be real, and keeping it would make every
        genuine event and snapshot look older. Returns how many of the account's own were dropped."""
        acc = self._accounts.get(account)
        if acc is None:
            return 0
        dropped = [k for k, t in acc.last_position_time.items() if t > limit]
        for k in dropped:
            del acc.last_position_time[k]
        n = len(dropped)
        if acc.last_balance_time is not None and acc.last_balance_time > limit:
            acc.last_balance_time, n = None, n + 1
        for (exchange, _), m in self._markets.items():
            if exchange is acc.spec.exchange and m.exchange_time > limit:
                m.exchange_time = _EPOCH  # marks are re-sent every second: no incident for them
        if n:
            self.note(account, f"{n} time(s) ahead of the exchange's clock dropped at reconciliation")
        return n
