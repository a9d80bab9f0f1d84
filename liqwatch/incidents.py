"""Typed incident lines: the text the store lists (``"<account>: <what happened>"``) with what it is next
to it, so the alerts never parse prose to tell a liquidation from a plain close.

An ``Incident`` is a ``str`` (every reader of ``MonitorStore.incidents`` — the recorder, the history, the
panes — keeps reading text) that also carries its ``kind`` and, where it has one, the leg it is about. A
line appended as a plain string is a note about a feed (at most a warning), never a liquidation.
"""

from __future__ import annotations

from enum import StrEnum


class IncidentKind(StrEnum):
    LIQUIDATION = "liquidation"  # the store's record of a liquidation (full or partial) it keeps listed
    CLOSED_WHILE_BLIND = "closed_while_blind"  # a REST reconciliation found the position gone
    CLOSED_SINCE_LAST_RUN = "closed_since_last_run"  # gone since the last run, no liquidation in the history
    LIQUIDATION_UNKNOWN = "liquidation_unknown"  # gone, and the exchange's history could not be read
    MARGIN_CALL = "margin_call"
    AUTO_DELEVERAGE = "auto_deleverage"
    FEED = "feed"  # about the feed itself: errors, a missing tier table, dropped frames


class Incident(str):
    """One incident line and what it is. Equal to its text (the store's list is compared as text)."""

    kind: IncidentKind
    account: str
    symbol: str | None
    side: str | None

    def __new__(cls, text: str, kind: IncidentKind, account: str = "", symbol: str | None = None,
                side: str | None = None) -> Incident:
        self = super().__new__(cls, text)
        self.kind = kind
        self.account = account
        self.symbol = symbol
        self.side = side
        return self


def incident(account: str, what: str, kind: IncidentKind, symbol: str | None = None,
             side: str | None = None) -> Incident:
    """The line ``"<account>: <what>"`` of ``kind``."""
    return Incident(f"{account}: {what}", kind, account, symbol, side)
