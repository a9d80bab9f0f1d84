"""``liqwatch demo --json`` judges the demo's accounts by the user's ``[alerts]``, as ``check --demo`` does
(separate processes, the embedded emulator, as a user runs them)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_check_command import liqwatch, private_home  # noqa: F401  (the fixture is autouse)
from tests.cli.watched import Watched

# Every demo position is far less than 98 % from its liquidation price: under these rules each account with
# a position is critical, where the defaults leave binance-main (a 0.5 BTC cross long on 25,000 USDT) ok.
TIGHT = "[alerts]\ndistance_pct_warning = 99.0\ndistance_pct_critical = 98.0\n"


def _main_statuses(stdout: str) -> list[str]:
    docs: list[dict[str, Any]] = [json.loads(line) for line in stdout.splitlines() if line.startswith("{")]
    return [next(a for a in d["accounts"] if a["name"] == "binance-main")["status"] for d in docs]


@pytest.mark.slow(7)
def test_demo_json_uses_the_configured_thresholds_like_check_demo() -> None:
    config = Path(os.environ["XDG_CONFIG_HOME"]) / "liqwatch" / "config.toml"  # the default path
    config.parent.mkdir(parents=True)
    config.write_text(TIGHT, encoding="utf-8")
    check = liqwatch("check", "--demo", "--json", "--timeout", "30")
    assert _main_statuses(check.stdout) == ["critical"], check.stdout[:400]
    # Read until four lines after its feeds went LIVE, then stopped (SIGTERM, a clean stop: exit 0).
    with Watched("demo", "--json", "--seconds", "60") as demo:
        demo.until(lambda _: len(_fresh(demo.lines)) >= 4, 60, "four lines once LIVE")
        assert demo.stop() == 0, demo.stderr
    fresh = _fresh(demo.lines)
    assert fresh and set(fresh) == {"critical"}, _main_statuses("".join(demo.lines))


def _fresh(lines: list[str]) -> list[str]:
    return [s for s in _main_statuses("".join(lines)) if s != "stale"]  # once its feeds are LIVE


def test_demo_names_a_broken_configuration_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[alerts]\nwarning = 0.9\ncritical = 0.5\n", encoding="utf-8")
    proc = liqwatch("demo", "--json", "--seconds", "2", "--config", str(bad))
    assert proc.returncode == 2 and "critical" in proc.stderr and "must be greater than warning" in proc.stderr, (
        proc.returncode, proc.stderr)
