"""What this run saw of each account, kept for the next run: its open positions (and when they were last
seen) and the liquidations not acknowledged yet.

At start the next run compares the positions with the exchange's and looks the missing ones up in the
exchange's history, so a liquidation that happened while liqwatch was not running is reported as one. Kept
as JSON in the ``meta`` table (one row per account), so no schema change is needed.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from liqwatch.liquidations import LiquidatedPosition, PreviousRun
from liqwatch.model import Side
from liqwatch.storage.db import Database

_PREFIX = "last_run:"


def save(db: Database, account: str, seen_at: datetime, positions: list[tuple[str, Side, float]],
         liquidations: tuple[LiquidatedPosition, ...]) -> None:
    body = {
        "seen_at": seen_at.isoformat(),
        "positions": [[s, side.value, size] for s, side, size in positions],
        "liquidations": [_liq_json(r) for r in liquidations],
    }
    with db.transaction() as conn:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (_PREFIX + account, json.dumps(body)))


def load(db: Database) -> dict[str, tuple[PreviousRun, list[LiquidatedPosition]]]:
    out: dict[str, tuple[PreviousRun, list[LiquidatedPosition]]] = {}
    for row in db.query("SELECT key, value FROM meta WHERE key LIKE ?", (_PREFIX + "%",)):
        account = str(row["key"])[len(_PREFIX):]
        try:
            body = json.loads(row["value"])
            prev = PreviousRun(datetime.fromisoformat(body["seen_at"]),
                               tuple((str(s), Side(side), float(size)) for s, side, size in body["positions"]))
            liqs = [_liq_from(account, r) for r in body.get("liquidations", [])]
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable row (older or damaged): nothing to compare with, never a crash
        out[account] = (prev, liqs)
    return out


def _liq_json(r: LiquidatedPosition) -> dict[str, Any]:
    return {"symbol": r.symbol, "side": r.side.value, "size_taken": r.size_taken, "price": r.price,
            "time": r.time.isoformat(), "size_before": r.size_before, "realized_pnl": r.realized_pnl,
            "partial": r.partial, "source": r.source}


def _liq_from(account: str, d: dict[str, Any]) -> LiquidatedPosition:
    return LiquidatedPosition(account, str(d["symbol"]), Side(d["side"]), float(d["size_taken"]),
                              None if d.get("price") is None else float(d["price"]),
                              datetime.fromisoformat(d["time"]),
                              None if d.get("size_before") is None else float(d["size_before"]),
                              None if d.get("realized_pnl") is None else float(d["realized_pnl"]),
                              bool(d.get("partial", False)), str(d.get("source", "stream")))
