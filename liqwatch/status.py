"""Account and monitor status levels, ranked as ``check`` reports them (nagios numbering).

Which level an account's figures reach is decided in one place, ``liqwatch.danger``."""

from __future__ import annotations

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
