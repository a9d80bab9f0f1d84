"""Incident lines are typed (``liqwatch.incidents``): the alert a line raises follows its kind, never its
words, so a plain close is never alerted as a liquidation and a liquidation is never missed for its wording."""

from __future__ import annotations

from liqwatch.alert_levels import AlertLevel
from liqwatch.alerts.risk_events import RiskEventKind, event_from_incident
from liqwatch.incidents import IncidentKind, incident

ACCOUNTS = {"main"}


def test_each_kind_maps_to_its_event_whatever_the_words() -> None:
    cases = [
        (IncidentKind.LIQUIDATION, "BTC long LIQUIDATED at 54000", RiskEventKind.LIQUIDATION,
         AlertLevel.LIQUIDATION_IMMINENT),
        (IncidentKind.CLOSED_WHILE_BLIND, "BTC long closed while the stream was blind",
         RiskEventKind.CLOSED_WHILE_BLIND, AlertLevel.CRITICAL),
        (IncidentKind.CLOSED_SINCE_LAST_RUN, "BTC long closed (no liquidation in the exchange's history)",
         RiskEventKind.CLOSED, AlertLevel.WARNING),
        (IncidentKind.LIQUIDATION_UNKNOWN, "BTC long closed; liquidation status unknown",
         RiskEventKind.LIQUIDATION_UNKNOWN, AlertLevel.WARNING),
        (IncidentKind.AUTO_DELEVERAGE, "BTC long auto-deleveraged", RiskEventKind.AUTO_DELEVERAGE,
         AlertLevel.CRITICAL),
    ]
    for kind, words, event_kind, level in cases:
        event = event_from_incident(incident("main", words, kind, "BTC", "long"), ACCOUNTS)
        assert (event.account, event.kind, event.level, event.symbol, event.side, event.message) == (
            "main", event_kind, level, "BTC", "long", words), kind


def test_a_plain_string_is_a_feed_note_even_when_it_mentions_a_liquidation() -> None:
    for words in ("main: BTC long LIQUIDATED at 54000", "main: no liquidation in the history",
                  "main: Binance MARGIN_CALL"):
        event = event_from_incident(words, ACCOUNTS)
        assert (event.kind, event.level) == (RiskEventKind.FEED_ERROR, AlertLevel.WARNING), words


def test_an_incident_is_its_text() -> None:
    line = incident("main", "BTC long LIQUIDATED", IncidentKind.LIQUIDATION)
    assert line == "main: BTC long LIQUIDATED" and (line,) == ("main: BTC long LIQUIDATED",)
