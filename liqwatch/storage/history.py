"""History for plots and post-mortems: equity and margin samples, settled funding, feed incidents."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from liqwatch.model import FundingPayment
from liqwatch.storage.db import Database
from liqwatch.storage.timefmt import to_ts


@dataclass(frozen=True, slots=True)
class Sample:
    account: str
    time: float  # start of the sampling bucket (Unix seconds)
    wallet_balance: float | None  # the exchange's total wallet (isolated wallets included)
    equity: float | None  # the exchange's margin balance (check --json margin_balance)
    maintenance_margin: float | None
    margin_ratio: float | None
    risk: float | None
    positions: int
    fresh: bool
    cross_wallet_balance: float | None = None
    cross_margin_balance: float | None = None


@dataclass(frozen=True, slots=True)
class FundingRow:
    account: str
    symbol: str
    time: float
    amount: float
    rate: float | None
    payment_key: str


@dataclass(frozen=True, slots=True)
class FeedIncident:
    id: int
    account: str
    channel: str
    #: "stale", "reconnecting" (periods); "exchange" (a risk event, which one in ``event``), "note" (a note
    #: about a feed). Rows written before schema 3 have "exchange" for both, and no ``event``.
    kind: str
    started_at: float
    ended_at: float | None
    detail: str
    #: The risk event's own kind (``RiskEventKind`` value) and the figures it carried, where it had them.
    event: str | None = None
    symbol: str | None = None
    side: str | None = None
    size: float | None = None
    price: float | None = None


@dataclass(frozen=True, slots=True)
class LoggedNote:
    """One logged event as a one-off incident row: ``kind`` "exchange" for a risk event, "note" for a feed note."""

    account: str
    detail: str
    kind: str = "exchange"
    event: str | None = None
    symbol: str | None = None
    side: str | None = None
    size: float | None = None
    price: float | None = None


def add_samples(db: Database, samples: Sequence[Sample]) -> None:
    if not samples:
        return
    with db.transaction() as conn:
        conn.executemany(
            "INSERT OR REPLACE INTO account_samples (account, time, wallet_balance, equity, maintenance_margin,"
            " margin_ratio, risk, positions, fresh, cross_wallet_balance, cross_margin_balance)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(s.account, s.time, s.wallet_balance, s.equity, s.maintenance_margin, s.margin_ratio, s.risk,
              s.positions, int(s.fresh), s.cross_wallet_balance, s.cross_margin_balance) for s in samples],
        )


def payment_key(p: FundingPayment) -> str:
    # The exchange's id when it gives one; otherwise what identifies a settlement (as the store dedupes).
    return p.payment_id if p.payment_id is not None else f"{p.symbol}@{to_ts(p.time):.3f}@{p.amount!r}"


def add_funding(db: Database, account: str, payments: Sequence[FundingPayment]) -> int:
    """Insert settled payments; a payment already recorded is skipped. Returns how many were new."""
    if not payments:
        return 0
    with db.transaction() as conn:
        before = conn.total_changes
        conn.executemany(
            "INSERT OR IGNORE INTO funding_payments (account, payment_key, symbol, time, amount, rate)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(account, payment_key(p), p.symbol, to_ts(p.time), p.amount, p.rate) for p in payments],
        )
        return conn.total_changes - before


def open_incident(db: Database, account: str, channel: str, kind: str, started: datetime, detail: str = "") -> int:
    with db.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO feed_incidents (account, channel, kind, started_at, detail) VALUES (?, ?, ?, ?, ?)",
            (account, channel, kind, to_ts(started), detail),
        )
        return int(cur.lastrowid or 0)


def close_incident(db: Database, incident_id: int, ended: datetime) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE feed_incidents SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                     (to_ts(ended), incident_id))


def close_feed_incident(db: Database, account: str, channel: str, ended: datetime) -> None:
    with db.transaction() as conn:
        conn.execute("UPDATE feed_incidents SET ended_at = ? WHERE account = ? AND channel = ? AND ended_at IS NULL"
                     " AND kind IN ('stale', 'reconnecting')", (to_ts(ended), account, channel))


def add_note(db: Database, account: str, when: datetime, detail: str, note: LoggedNote | None = None) -> None:
    """A one-off incident reported by a feed (an exchange error, a position closed while blind): ``note`` says
    what it is (its kind, the event's kind and figures); without it, an "exchange" row of text only."""
    ts = to_ts(when)
    n = note or LoggedNote(account, detail)
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO feed_incidents (account, channel, kind, started_at, ended_at, detail, event, symbol, side,"
            " size, price) VALUES (?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (account, n.kind, ts, ts, detail, n.event, n.symbol, n.side, n.size, n.price),
        )


def close_open_incidents(db: Database, ended: datetime) -> int:
    """At start-up: periods left open by a process that died end when we noticed, not never."""
    with db.transaction() as conn:
        cur = conn.execute("UPDATE feed_incidents SET ended_at = ? WHERE ended_at IS NULL", (to_ts(ended),))
        return cur.rowcount


def samples(db: Database, account: str, since: datetime) -> list[Sample]:
    rows = db.query("SELECT * FROM account_samples WHERE account = ? AND time >= ? ORDER BY time",
                    (account, to_ts(since)))
    return [Sample(r["account"], r["time"], r["wallet_balance"], r["equity"], r["maintenance_margin"],
                   r["margin_ratio"], r["risk"], r["positions"], bool(r["fresh"]), r["cross_wallet_balance"],
                   r["cross_margin_balance"]) for r in rows]


def funding(db: Database, account: str, since: datetime) -> list[FundingRow]:
    rows = db.query("SELECT * FROM funding_payments WHERE account = ? AND time >= ? ORDER BY time",
                    (account, to_ts(since)))
    return [FundingRow(r["account"], r["symbol"], r["time"], r["amount"], r["rate"], r["payment_key"]) for r in rows]


def incidents(db: Database, account: str, since: datetime) -> list[FeedIncident]:
    rows = db.query(
        "SELECT * FROM feed_incidents WHERE account = ? AND (started_at >= ? OR ended_at IS NULL OR ended_at >= ?)"
        " ORDER BY started_at, id",
        (account, to_ts(since), to_ts(since)),
    )
    return [FeedIncident(r["id"], r["account"], r["channel"], r["kind"], r["started_at"], r["ended_at"],
                         r["detail"], r["event"], r["symbol"], r["side"], r["size"], r["price"]) for r in rows]


def known_accounts(db: Database) -> list[str]:
    rows = db.query(
        "SELECT account FROM account_samples UNION SELECT account FROM funding_payments"
        " UNION SELECT account FROM feed_incidents UNION SELECT account FROM alerts ORDER BY 1"
    )
    return [r[0] for r in rows if r[0]]
