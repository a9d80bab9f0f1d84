"""``liqwatch alerts`` and ``liqwatch history`` through ``tui.cli.main``: the record an AlertRuntime wrote,
text and the documented JSON, the demo's separate database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from liqwatch.alert_runtime import AlertRuntime
from liqwatch.clock import FakeClock
from liqwatch.config import load_settings
from tests.alerts.alert_scenarios import Scenario
from tui.cli import main

ALERT_KEYS = {"id", "account", "rule", "subject", "level", "peak_level", "status", "acknowledged",
              "acknowledged_at", "snoozed_until", "value", "threshold", "message", "raised_at", "updated_at",
              "cleared_at", "events"}
EVENT_KEYS = {"time", "event", "level", "value", "threshold", "channel", "source", "message"}


async def _record(tmp_path: Path) -> tuple[Path, str]:
    """A demo run: an alert raised, escalated and acknowledged; samples and a stale period."""
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "data" / "liqwatch.sqlite3"}"\n', encoding="utf-8")
    settings = load_settings(config, environ={})
    sc = Scenario(clock=FakeClock(datetime.now(UTC).replace(microsecond=0)))
    async with AlertRuntime(settings, demo=True, clock=sc.clock, environ={}) as rt:
        await rt.on_snapshot(sc.tick(risk=0.65))  # above the default warning (0.6)
        events = await rt.on_snapshot(sc.tick(risk=0.85, advance=61))
        await rt.service.ack(events[0].alert_id)
        await rt.on_snapshot(sc.silence(40))
        await rt.on_snapshot(sc.tick(risk=0.3))
    return config, events[0].alert_id


async def test_alerts_and_history_json_from_the_demo_database(tmp_path: Path,
                                                               capsys: pytest.CaptureFixture[str]) -> None:
    config, alert_id = await _record(tmp_path)
    assert len(list((tmp_path / "data" / "demo").glob("liqwatch-*.sqlite3"))) == 1  # the run's own record
    assert not (tmp_path / "data" / "liqwatch.sqlite3").exists()

    assert main(["alerts", "--config", str(config), "--demo", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) == {"database", "since", "alerts"} and "/demo/liqwatch-" in doc["database"]
    risk = next(a for a in doc["alerts"] if a["id"] == alert_id)
    assert set(risk) == ALERT_KEYS
    assert (risk["rule"], risk["level"], risk["peak_level"], risk["status"]) == ("risk", "critical", "critical",
                                                                                  "cleared")
    assert risk["acknowledged"] and risk["raised_at"].endswith("Z")
    assert all(set(e) == EVENT_KEYS for e in risk["events"])
    assert [e["event"] for e in risk["events"]] == ["raised", "escalated", "acknowledged", "cleared"]
    stale = [a for a in doc["alerts"] if a["rule"] == "stale_feed"]
    assert [(a["subject"], a["level"]) for a in stale] == [("mark", "critical")]

    assert main(["alerts", "--config", str(config), "--demo"]) == 0
    text = capsys.readouterr().out
    assert alert_id in text and "cleared" in text

    assert main(["history", "main", "--config", str(config), "--demo", "--json"]) == 0
    hist = json.loads(capsys.readouterr().out)
    assert set(hist) == {"database", "account", "since", "samples", "funding", "funding_total", "incidents",
                         "alerts"}
    assert len(hist["samples"]) >= 2
    assert set(hist["samples"][0]) == {"time", "wallet_balance", "margin_balance", "cross_wallet_balance",
                                       "cross_margin_balance", "maintenance_margin", "margin_ratio", "risk",
                                       "positions", "fresh"}
    assert [(i["kind"], i["channel"]) for i in hist["incidents"]] == [("stale", "mark")]
    assert hist["incidents"][0]["duration_s"] == pytest.approx(36)  # stale from 5 s after the last data
    assert {a["id"] for a in hist["alerts"]} >= {alert_id}

    assert main(["history", "main", "--config", str(config), "--demo"]) == 0
    assert "equity and margin" in capsys.readouterr().out


def test_without_a_database_nothing_is_created(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "none.sqlite3"
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{db}"\n', encoding="utf-8")
    config.chmod(0o600)
    # The configured place, not written yet: an empty log.
    assert main(["alerts", "--config", str(config), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["alerts"] == []
    assert main(["alerts", "--config", str(config)]) == 0
    assert "nothing has been recorded" in capsys.readouterr().out
    # A file named with --db must exist (a typo is not an empty log), as for history.
    assert main(["alerts", "--db", str(db)]) == 2
    assert str(db) in capsys.readouterr().err
    assert main(["history", "main", "--db", str(db)]) == 2
    assert "nothing recorded yet" in capsys.readouterr().err
    assert not db.exists()


async def test_bad_input_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, alert_id = await _record(tmp_path)
    assert main(["alerts", "--since", "yesterday", "--db", str(tmp_path)]) == 2
    assert "--since" in capsys.readouterr().err
    assert main(["history", "nobody", "--config", str(config), "--demo"]) == 2
    assert "accounts recorded: main" in capsys.readouterr().err
    assert main(["alerts", "ack", alert_id, "--config", str(config), "--demo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == {"id": alert_id, "acknowledged": True, "status": "cleared"}
