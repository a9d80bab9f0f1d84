"""The default alert rules warn in time: ``check --demo --speed 5 --watch ... --json``, as a user runs it.

The demo's binance-degen (an isolated 30x ETH long) slides into liquidation within ~20 s of wall time at
``--speed 5`` (critical within ~10 s); it must be warned at least 1 % from its liquidation price and be
critical at least 0.3 % away. binance-hedge's 10x isolated SOL long opens ~7.4 % away and must not warn.
"""

from __future__ import annotations

from typing import Any

import pytest

from liqwatch.stop_signal import EXIT_TERMINATED
from tests.cli.test_check_command import private_home  # noqa: F401  (the fixture is autouse)
from tests.cli.watched import Watched


def _degen_distance(doc: dict[str, Any]) -> float | None:
    acc = next(a for a in doc["accounts"] if a["name"] == "binance-degen")
    # While open (a liquidated position stays listed, with its state and no distance).
    dists = [p["distance_to_liquidation_pct"] for p in acc["positions"]
             if p["symbol"].startswith("ETH/") and p.get("state", "open") != "liquidated"
             and p.get("distance_to_liquidation_pct") is not None]
    return dists[0] if dists else None


def _critical_while_open(docs: list[dict[str, Any]]) -> bool:
    degen = next(a for a in docs[-1]["accounts"] if a["name"] == "binance-degen")
    return degen["status"] == "critical" and _degen_distance(docs[-1]) is not None


@pytest.mark.slow(15)
def test_the_drifting_30x_account_is_warned_and_critical_while_there_is_time() -> None:
    # Read until binance-degen is critical while still open (every figure asserted comes before), then
    # stopped (SIGTERM, a clean stop); the 60 s of --watch is only a bound.
    with Watched("check", "--demo", "--speed", "5", "--watch", "60", "--json") as check:
        docs = check.until(_critical_while_open, 90, "binance-degen critical while open")
        assert check.stop() == EXIT_TERMINATED, check.stderr
    # (status, distance) of binance-degen while its position is open and priced.
    degen = [(next(a for a in d["accounts"] if a["name"] == "binance-degen")["status"], _degen_distance(d))
             for d in docs]
    open_rows = [(s, dist) for s, dist in degen if dist is not None]
    assert open_rows and open_rows[0][0] == "ok", open_rows[:3]  # ~2.6 % away at open: not yet
    first_warning = next(dist for s, dist in open_rows if s in ("warning", "critical"))
    first_critical = next(dist for s, dist in open_rows if s == "critical")
    assert first_warning >= 1.0, (first_warning, open_rows)
    assert first_critical >= 0.3, (first_critical, open_rows)
    # The 10x SOL long of binance-hedge is not warned at open (nor is its account).
    hedge = next(a for a in docs[0]["accounts"] if a["name"] == "binance-hedge")
    sol = next(p for p in hedge["positions"] if p["symbol"].startswith("SOL/"))
    assert sol["distance_to_liquidation_pct"] > 7.0 and hedge["status"] == "ok", hedge
