"""``liqwatch demo --plain`` evaluates the alerts as the App does (issue 11): the engine raises them whether or
not a screen pulls, and they are recorded in the demo's own database, never in the real record."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.cli.test_check_command import liqwatch, private_home  # noqa: F401  (the fixture is autouse)
from tests.cli.watched import Watched, run_main


def _demo_alerts_of(account: str) -> list[dict[str, Any]]:
    rc, out, err = run_main("alerts", "--demo", "--json")
    assert rc == 0, err
    return [a for a in json.loads(out)["alerts"] if a["account"] == account]


def test_demo_plain_raises_and_records_the_drifting_accounts_alert() -> None:
    # At 10x the demo's ETH slide puts binance-degen past its warning level within ~6 s of wall time (as in
    # test_the_demos_drifting_account_raises_an_alert_kept_in_the_demo_record_only, there with check --watch).
    # The demo's record is read while it runs, until the alert is in it; then the demo is stopped (SIGTERM, a
    # clean stop: exit 0). The 60 s of --seconds is only a bound.
    with Watched("demo", "--plain", "--speed", "10", "--seconds", "60") as demo:
        deadline = time.monotonic() + 60
        while not _demo_alerts_of("binance-degen"):
            assert demo.proc.poll() is None, f"the demo ended (rc {demo.proc.returncode}): {demo.stderr[-2000:]}"
            assert time.monotonic() < deadline, "no binance-degen alert in the demo's record within 60 s"
            time.sleep(0.25)  # a poll's period (each reads the record), not a wait for luck
        assert demo.stop() == 0, demo.stderr
    assert any("binance-degen" in line for line in demo.lines)
    assert _demo_alerts_of("binance-degen")  # still there once the demo stopped
    real = liqwatch("alerts", "--json", timeout=30)
    assert real.returncode == 0, real.stderr
    assert not any(a["account"] == "binance-degen" for a in json.loads(real.stdout)["alerts"])
