"""``liqwatch demo --plain`` evaluates the alerts as the App does (issue 11): the engine raises them whether or
not a screen pulls, and they are recorded in the demo's own database, never in the real record."""

from __future__ import annotations

import json

from tests.cli.test_check_command import liqwatch, private_home  # noqa: F401  (the fixture is autouse)


def test_demo_plain_raises_and_records_the_drifting_accounts_alert() -> None:
    # At 10x the demo's ETH slide puts binance-degen past its warning level within ~6 s of wall time (as in
    # test_the_demos_drifting_account_raises_an_alert_kept_in_the_demo_record_only, there with check --watch).
    proc = liqwatch("demo", "--plain", "--speed", "10", "--seconds", "10", timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "binance-degen" in proc.stdout
    demo = liqwatch("alerts", "--demo", "--json", timeout=30)
    assert demo.returncode == 0, demo.stderr
    alerts = json.loads(demo.stdout)
    assert any(a["account"] == "binance-degen" for a in alerts["alerts"]), alerts
    real = liqwatch("alerts", "--json", timeout=30)
    assert real.returncode == 0, real.stderr
    assert not any(a["account"] == "binance-degen" for a in json.loads(real.stdout)["alerts"])
