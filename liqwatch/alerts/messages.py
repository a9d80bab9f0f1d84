"""One-line texts of alerts, as the trader reads them in the app, a notification or the log."""

from __future__ import annotations

from collections.abc import Callable

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.model import AlertKey

Describe = Callable[[AlertKey, AlertLevel | None, float | None, float | None], str]


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _where(key: AlertKey) -> str:
    return key.describe()


def _level(level: AlertLevel | None) -> str:
    return "back to normal" if level is None else level.value.replace("_", " ")


def risk(key: AlertKey, level: AlertLevel | None, value: float | None, threshold: float | None) -> str:
    if level is None:
        return f"{_where(key)}: risk {_num(value)}, {_level(level)}"
    limit = f" (threshold {_num(threshold)})" if threshold is not None else ""
    return f"{_where(key)}: risk {_num(value)}, {_level(level)}{limit}; liquidation at 1.00"


def distance_pct(key: AlertKey, level: AlertLevel | None, value: float | None, threshold: float | None) -> str:
    limit = f" ({_level(level)} within {_num(threshold, 1)}%)" if level is not None else f", {_level(level)}"
    return f"{_where(key)}: {_num(value)}% from liquidation{limit}"


def distance_sigma(key: AlertKey, level: AlertLevel | None, value: float | None, threshold: float | None) -> str:
    limit = f" ({_level(level)} within {_num(threshold, 1)}σ)" if level is not None else f", {_level(level)}"
    return f"{_where(key)}: {_num(value)}σ from liquidation{limit}"


def funding(key: AlertKey, level: AlertLevel | None, value: float | None, threshold: float | None) -> str:
    limit = f" (limit {_num(threshold)})" if level is not None else f", {_level(level)}"
    return f"{_where(key)}: funding costs {_num(value)} a day at the current rates{limit}"


def skew(key: AlertKey, level: AlertLevel | None, value: float | None, threshold: float | None) -> str:
    limit = f" (limit {_num(threshold, 1)} s)" if level is not None else f", {_level(level)}"
    return f"{_where(key)}: local clock off the exchange's by {_num(value, 1)} s{limit}"


def loop_lag(key: AlertKey, level: AlertLevel | None, value: float | None, threshold: float | None) -> str:
    if level is None:
        return "liqwatch event loop responsive again; values are fresh once their feeds deliver"
    return (f"liqwatch event loop stalled {_num(value, 1)} s (limit {_num(threshold, 1)} s; a blocking call or "
            "an overloaded machine): values received meanwhile are not shown as fresh")


def banned(key: AlertKey, what: str) -> str:
    return f"{key.account}: {what}; no REST call to it until then"


def ban_lifted(key: AlertKey) -> str:
    return f"{key.account}: the {key.subject} IP ban has ended"


def stale(
    key: AlertKey, level: AlertLevel | None, value: float | None, threshold: float | None, detail: str = ""
) -> str:
    if level is None and not detail:
        return f"{key.account}: feed {key.subject} live again"
    state = f" ({detail})" if detail else ""
    return f"{key.account}: feed {key.subject} not live for {_num(value, 0)} s{state}; limit {_num(threshold, 0)} s"


def gone(key: AlertKey) -> str:
    return f"{_where(key)}: no longer present (position closed or account removed)"


def superseded(key: AlertKey, liquidation: str) -> str:
    return f"{_where(key)}: closed, superseded by the liquidation ({liquidation}), not back to normal"
