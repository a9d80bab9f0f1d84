"""Levels as text first: every coloured signal also carries a marker, so colour is never the only cue."""

from __future__ import annotations

from liqwatch.alert_levels import AlertLevel
from liqwatch.feed_channel import ChannelState
from liqwatch.status import Status

Cell = tuple[str, str]

_STATUS: dict[Status, Cell] = {
    Status.OK: ("OK", "ok"),
    Status.WARNING: ("! WARN", "warning"),
    Status.CRITICAL: ("!! CRIT", "critical"),
    Status.STALE: ("? STALE", "stale"),
}

_ALERT: dict[AlertLevel, Cell] = {
    AlertLevel.INFO: ("i INFO", "ok"),
    AlertLevel.WARNING: ("! WARN", "warning"),
    AlertLevel.CRITICAL: ("!! CRIT", "critical"),
    AlertLevel.LIQUIDATION_IMMINENT: ("!!! LIQ", "critical"),
}

_FEED: dict[ChannelState, str] = {
    ChannelState.LIVE: "ok",
    ChannelState.SYNCING: "warning",
    ChannelState.CONNECTING: "stale",
    ChannelState.RECONNECTING: "warning",
    ChannelState.STALE: "critical",
    ChannelState.MAINTENANCE: "warning",
}


def status_cell(status: Status, liquidated: bool = False) -> Cell:
    if liquidated:
        return ("XX LIQD", "critical")
    return _STATUS[status]


def alert_cell(level: AlertLevel) -> Cell:
    return _ALERT[level]


def feed_tag(state: ChannelState) -> str:
    return _FEED[state]


def status_tag(status: Status) -> str:
    return _STATUS[status][1]
