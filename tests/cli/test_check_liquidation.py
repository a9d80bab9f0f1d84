"""Issue 9's done-when, faster: ``liqwatch check --demo --watch --json`` (separate processes, the embedded
emulator on 127.0.0.1). After binance-degen's liquidation the account is never "ok" again until the
liquidation's alert is acknowledged with ``liqwatch alerts ack``; then its LIQUIDATED row goes."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.cli.watched import run_main
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _degen(line: dict[str, Any]) -> dict[str, Any]:
    return next(a for a in line["accounts"] if a["name"] == "binance-degen")


def _liquidated(account: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in account["positions"] if p.get("state") == "liquidated"]


@pytest.mark.slow(12)
def test_after_its_liquidation_an_account_is_not_ok_until_the_alert_is_acknowledged() -> None:
    cmd = [*tui_argv(), "check", "--demo", "--speed", "40", "--watch", "40", "--json"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT,
                            env=dict(os.environ))
    lines: queue.Queue[str] = queue.Queue()
    reader = threading.Thread(target=lambda: [lines.put(x) for x in proc.stdout or []], daemon=True)
    reader.start()

    def next_line(limit_s: float = 10.0, what: str = "the next line") -> dict[str, Any]:
        try:
            return json.loads(lines.get(timeout=limit_s))
        except queue.Empty:
            raise AssertionError(f"no {what} within {limit_s:g} s (exit status {proc.poll()})") from None

    try:
        # The first line comes once the demo's feeds are up: on a machine loaded by the suite's other workers
        # that start can take several times its usual 1.5 s, so it has its own, wider limit.
        degen = _degen(next_line(30, "first line"))
        deadline = time.monotonic() + 35
        while not _liquidated(degen):  # until the demo's ETH slide liquidates the 30x long
            assert time.monotonic() < deadline, "binance-degen was never liquidated"
            degen = _degen(next_line())
        (row,) = _liquidated(degen)
        assert row["symbol"] == "ETH/USDT:USDT" and row["side"] == "long" and row["partial"] is False
        assert row["liquidated_at"].endswith("Z") and row["price"] > 0 and row["realized_pnl"] < 0
        assert degen["status"] == "critical"
        for _ in range(4):  # seconds later, nothing left open: still critical
            degen = _degen(next_line())
            assert degen["status"] == "critical" and _liquidated(degen)
        rc, out, err = run_main("alerts", "--demo", "--json")
        assert rc == 0, err
        (alert,) = [a for a in json.loads(out)["alerts"]
                    if a["subject"] == "liquidation ETH/USDT:USDT long" and a["status"] == "active"]
        assert "LIQUIDATED" in alert["message"]
        rc, out, err = run_main("alerts", "ack", "--demo", alert["id"])  # from another process than the check's
        assert rc == 0, out + err
        deadline = time.monotonic() + 10  # the running check picks the acknowledgement up from the database
        while True:
            assert time.monotonic() < deadline, "the acknowledgement never released the LIQUIDATED row"
            degen = _degen(next_line())
            if not _liquidated(degen):
                break
            assert degen["status"] == "critical"
        assert degen["status"] != "critical"
    finally:
        proc.kill()
        proc.wait(10)
