"""What ``liqwatch history ACCOUNT`` prints: the documented JSON and text."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from liqwatch.alerts.model import Alert
from liqwatch.storage.history import FeedIncident, FundingRow, Sample
from liqwatch.storage.timefmt import iso, opt_ts, to_ts


def history_json(path: Path, account: str, since: datetime, samples: Sequence[Sample],
                 funding: Sequence[FundingRow], incidents: Sequence[FeedIncident],
                 alerts: Sequence[Alert]) -> dict[str, Any]:
    return {
        "database": str(path),
        "account": account,
        "since": iso(to_ts(since)),
        "samples": [
            {
                "time": iso(s.time),
                # The names and meanings of check --json and calc --json.
                "wallet_balance": s.wallet_balance,
                "margin_balance": s.equity,
                "cross_wallet_balance": s.cross_wallet_balance,
                "cross_margin_balance": s.cross_margin_balance,
                "maintenance_margin": s.maintenance_margin,
                "margin_ratio": s.margin_ratio,
                "risk": s.risk,
                "positions": s.positions,
                "fresh": s.fresh,
            }
            for s in samples
        ],
        "funding": [
            {"time": iso(f.time), "symbol": f.symbol, "amount": f.amount, "rate": f.rate} for f in funding
        ],
        "funding_total": math.fsum(f.amount for f in funding),
        "incidents": [
            {
                "started_at": iso(i.started_at),
                "ended_at": iso(i.ended_at),
                "duration_s": None if i.ended_at is None else round(i.ended_at - i.started_at, 3),
                "channel": i.channel,
                "kind": i.kind,
                "detail": i.detail,
                "event": i.event,
                "symbol": i.symbol,
                "side": i.side,
                "size": i.size,
                "price": i.price,
            }
            for i in incidents
        ],
        "alerts": [
            {
                "id": a.id,
                "rule": a.key.rule.value,
                "subject": a.key.subject,
                "level": a.announced.value,
                "raised_at": iso(to_ts(a.raised_at)),
                "cleared_at": iso(opt_ts(a.cleared_at)),
                "message": a.message,
            }
            for a in alerts
        ],
    }


def _t(ts: float | None) -> str:
    text = iso(ts)
    return "-" if text is None else text[:19].replace("T", " ")


def _n(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def history_text(doc: dict[str, Any], samples: Sequence[Sample], funding: Sequence[FundingRow],
                 incidents: Sequence[FeedIncident], alerts: Sequence[Alert]) -> str:
    lines = [f"# {doc['account']}: history since {doc['since']}; database {doc['database']}", ""]
    lines.append(f"equity and margin ({len(samples)} samples, UTC)")
    if samples:
        lines.append(f"  {'TIME':19}  {'EQUITY':>14}  {'WALLET':>14}  {'CROSS EQUITY':>14}  {'MAINT MARGIN':>14}  "
                     f"{'RISK':>6}  POS")
        for s in samples:
            stale = "" if s.fresh else "  (stale)"
            lines.append(f"  {_t(s.time):19}  {_n(s.equity):>14}  {_n(s.wallet_balance):>14}  "
                         f"{_n(s.cross_margin_balance):>14}  {_n(s.maintenance_margin):>14}  {_n(s.risk, 3):>6}  "
                         f"{s.positions}{stale}")
    lines += ["", f"funding ({len(funding)} payments as the exchange booked them, total "
                  f"{_n(doc['funding_total'], 4)}; negative = paid, positive = received)"]
    lines += [f"  {_t(f.time):19}  {f.symbol:24}  {_n(f.amount, 4):>12}" for f in funding]
    lines += ["", f"feed incidents ({len(incidents)})"]
    for i in incidents:
        if i.ended_at is None:
            until = "ongoing"
        else:
            until = "" if i.kind in ("exchange", "note") else f"{i.ended_at - i.started_at:.0f} s"
        lines.append(f"  {_t(i.started_at):19}  {i.event or i.kind:12}  {i.channel or '-':10}  {until:>8}  {i.detail}")
    lines += ["", f"alerts ({len(alerts)})"]
    lines += [f"  {_t(to_ts(a.raised_at)):19}  {a.id:8}  {a.announced.value:20}  {a.message}" for a in alerts]
    return "\n".join(lines) + "\n"
