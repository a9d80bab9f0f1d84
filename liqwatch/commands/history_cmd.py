"""``liqwatch history ACCOUNT``: an account's recorded equity and margin, funding, feed incidents and alerts."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from liqwatch.commands.errors import UserError

_DESCRIPTION = """\
Print what the database recorded for ACCOUNT within --since (default 24h): equity and margin samples (one
a minute), settled funding payments, feed incidents (stale periods, reconnects, exchange notices) and
alerts. With --demo, the newest demo run's record."""


def register(sub: Any) -> None:
    from liqwatch.commands.alerts_cmd import add_database_options

    p: argparse.ArgumentParser = sub.add_parser("history", help="show an account's recorded history",
                                                description=_DESCRIPTION)
    p.add_argument("account", metavar="ACCOUNT", help="the account name, as in the configuration")
    p.add_argument("--since", default="24h", metavar="DURATION", help="how far back: 90s, 15m, 24h, 7d (default 24h)")
    p.add_argument("--json", action="store_true", help="print the documented JSON")
    add_database_options(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime, timedelta

    from liqwatch.alerts import alert_rows
    from liqwatch.commands.alerts_cmd import database_from_args, open_existing
    from liqwatch.commands.history_output import history_json, history_text
    from liqwatch.storage import history
    from liqwatch.storage.timefmt import parse_duration

    try:
        since = datetime.now(UTC) - timedelta(seconds=parse_duration(args.since))
    except ValueError as exc:
        raise UserError(f"--since: {exc}") from None
    path = database_from_args(args)
    db = open_existing(path)
    if db is None:
        raise UserError(f"nothing recorded yet: no database at {path}")
    try:
        known = history.known_accounts(db)
        if args.account not in known:
            listed = ", ".join(known) if known else "none yet"
            raise UserError(f"no history for account {args.account!r} in {path} (accounts recorded: {listed})")
        samples = history.samples(db, args.account, since)
        funding = history.funding(db, args.account, since)
        incidents = history.incidents(db, args.account, since)
        alerts = [a for a in alert_rows.alerts_since(db, since) if a.key.account == args.account]
    finally:
        db.close()
    doc = history_json(path, args.account, since, samples, funding, incidents, alerts)
    if args.json:
        sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    else:
        sys.stdout.write(history_text(doc, samples, funding, incidents, alerts))
    return 0
