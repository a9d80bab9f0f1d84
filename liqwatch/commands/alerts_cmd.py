"""``liqwatch alerts``: the alert log from the database. ``liqwatch alerts ack ID`` and ``liqwatch alerts
snooze ID DURATION`` act on one alert; a running app picks the request up within a few seconds."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from liqwatch.alerts.model import Alert, AlertEvent
    from liqwatch.storage.db import Database

from liqwatch.commands import alerts_test
from liqwatch.commands.errors import UserError

_DESCRIPTION = """\
List the alerts recorded in the database: every alert still active, and every alert that changed within
--since (default 24h), newest first, each with its events (raised, escalated, acknowledged, delivered,
cleared...). With --demo, the newest demo run's record. 'liqwatch alerts ack ID' acknowledges an alert;
'liqwatch alerts snooze ID 15m' silences one for a while; 'liqwatch alerts test' sends a test
notification through every configured channel."""


def add_database_options(parser: argparse.ArgumentParser, suppress: bool = False) -> None:
    """--db, --demo, --config; with ``suppress`` they leave the parent parser's values alone unless given."""
    default: Any = argparse.SUPPRESS if suppress else None
    parser.add_argument("--db", metavar="PATH", default=default,
                        help="the database file (default: [storage].path of the configuration)")
    parser.add_argument("--demo", action="store_true", default=argparse.SUPPRESS if suppress else False,
                        help="read the newest demo run's record instead of the real one")
    parser.add_argument("--config", metavar="PATH", default=default, help="configuration file (for [storage])")


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("alerts", help="list recorded alerts, or acknowledge one",
                                                description=_DESCRIPTION)
    p.add_argument("--since", default="24h", metavar="DURATION",
                   help="also list alerts that changed within this time: 90s, 15m, 24h, 7d (default 24h)")
    p.add_argument("--json", action="store_true", help="print the documented JSON")
    add_database_options(p)
    actions = p.add_subparsers(dest="alerts_action", metavar="ACTION")
    ack = actions.add_parser("ack", help="acknowledge an alert by its id",
                             description="Acknowledge an alert: it stops ringing and notifying, and stays listed "
                                         "until it clears. A running liqwatch applies it within seconds.")
    ack.add_argument("alert_id", metavar="ID", help="the alert id, as listed by `liqwatch alerts`")
    ack.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    add_database_options(ack, suppress=True)
    snooze = actions.add_parser("snooze", help="silence an alert for a while",
                                description="Snooze an alert: no bell or notification for DURATION unless it "
                                            "gets worse; a reminder when the time is up.")
    snooze.add_argument("alert_id", metavar="ID", help="the alert id, as listed by `liqwatch alerts`")
    snooze.add_argument("duration", metavar="DURATION", help="how long: 90s, 15m, 2h")
    snooze.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print JSON")
    add_database_options(snooze, suppress=True)
    alerts_test.add_parser(actions)
    p.set_defaults(handler=run)


def database_from_args(args: argparse.Namespace) -> Path:
    if getattr(args, "db", None):
        return Path(args.db).expanduser().absolute()
    from liqwatch.config import ConfigError, load_settings
    from liqwatch.storage.paths import database_path

    try:
        settings = load_settings(Path(args.config) if getattr(args, "config", None) else None)
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    return database_path(settings, bool(getattr(args, "demo", False)))


def open_existing(path: Path) -> Any:
    """The database, or None when nothing was recorded there yet (reading never creates one)."""
    from liqwatch.storage.db import Database, StorageError
    from liqwatch.storage.migrations import SchemaTooNew

    if not path.exists():
        return None
    try:
        return Database.open(path)
    except (StorageError, SchemaTooNew) as exc:
        raise UserError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    if args.alerts_action == "test":
        return alerts_test.run(args)
    if args.alerts_action in ("ack", "snooze"):
        return _act(args)
    from datetime import UTC, datetime, timedelta

    from liqwatch.alerts import alert_rows
    from liqwatch.commands.alerts_output import render_alerts_json, render_alerts_text
    from liqwatch.storage.timefmt import parse_duration

    try:
        since = datetime.now(UTC) - timedelta(seconds=parse_duration(args.since))
    except ValueError as exc:
        raise UserError(f"--since: {exc}") from None
    path = database_from_args(args)
    if getattr(args, "db", None) and not path.exists():
        # A file named on the command line (mistyped, or a demo record since pruned) is an error, as for
        # `history --db`; only the default place may hold nothing yet.
        raise UserError(f"no database at {path} (the file named by --db does not exist)")
    db = open_existing(path)
    alerts: list[Any] = []
    entries: list[Any] = []
    if db is not None:
        try:
            alerts = alert_rows.alerts_since(db, since)
            entries = alert_rows.log_entries(db, [a.id for a in alerts]) if alerts else []
        finally:
            db.close()
    if args.json:
        doc = render_alerts_json(path, since, alerts, entries)
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(render_alerts_text(path, since, alerts, entries, db is not None))
    return 0


def _act(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta
    from types import MappingProxyType

    from liqwatch.alerts import alert_rows, engine
    from liqwatch.alerts.model import AlertState
    from liqwatch.storage.timefmt import parse_duration

    snoozing = args.alerts_action == "snooze"
    seconds = 0.0
    if snoozing:
        try:
            seconds = parse_duration(args.duration)
        except ValueError as exc:
            raise UserError(f"DURATION: {exc}") from None
    path = database_from_args(args)
    db = open_existing(path)
    if db is None:
        raise UserError(f"no alert {args.alert_id}: nothing has been recorded in {path} yet")
    try:
        alert = alert_rows.get_alert(db, args.alert_id)
        if alert is None:
            raise UserError(f"no alert {args.alert_id} in {path} (see `liqwatch alerts`)")
        now = datetime.now(UTC)
        result: dict[str, Any] = {"id": alert.id, "acknowledged": alert.acknowledged,
                                  "status": "cleared" if alert.cleared_at else "active"}
        state = AlertState(active=MappingProxyType({alert.key: alert}))
        if alert.cleared_at is not None:
            message = f"alert {alert.id} has already cleared; nothing to do"
        elif snoozing:
            # The same pure functions the app uses, so the log reads the same either way; the running
            # app applies the request on its next look at the database.
            new_state, events = engine.snooze(state, alert.id, seconds, now)
            _save_unless_changed(db, events, now, alert)
            until = now + timedelta(seconds=seconds)
            alert_rows.add_ack_request(db, alert.id, "snooze", alert.level, now, until)
            result["snoozed_until"] = until.isoformat(timespec="seconds").replace("+00:00", "Z")
            message = f"snoozed alert {alert.id} until {result['snoozed_until']}: {alert.message}"
        elif alert.acknowledged:
            message = f"alert {alert.id} was already acknowledged"
        else:
            new_state, events = engine.ack(state, alert.id, now)
            _save_unless_changed(db, events, now, alert)
            alert_rows.add_ack_request(db, alert.id, "ack", alert.level, now)
            result["acknowledged"] = True
            result["status"] = "active" if new_state.by_id(alert.id) is not None else "cleared"
            message = f"acknowledged alert {alert.id} ({alert.level.value}): {alert.message}"
    finally:
        db.close()
    if getattr(args, "json", False):
        sys.stdout.write(json.dumps(result) + "\n")
    else:
        sys.stdout.write(message + "\n")
    return 0


def _save_unless_changed(db: Database, events: Sequence[AlertEvent], now: datetime, alert: Alert) -> None:
    from liqwatch.alerts import alert_rows

    try:
        alert_rows.save_events(db, events, now=now, source="cli", unchanged_since=alert)
    except alert_rows.AlertChanged:
        # The running app escalated or cleared it meanwhile: acting on the old copy would undo that.
        raise UserError(f"alert {alert.id} changed while this ran (escalated or cleared); look again with "
                        "`liqwatch alerts` and repeat if still needed") from None
