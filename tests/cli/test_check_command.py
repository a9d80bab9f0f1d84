"""``liqwatch check`` and ``liqwatch demo`` as a user runs them: separate processes, the embedded emulator."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from liqwatch.stop_signal import EXIT_TERMINATED
from tests.cli.watched import Watched, run_main
from tests.tui_command import tui_argv

ROOT = Path(__file__).resolve().parents[2]
EXIT = {"ok": 0, "warning": 1, "critical": 2, "stale": 3}


@pytest.fixture(autouse=True)
def private_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The commands write the demo's record under the XDG data directory: keep it inside the test.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))


def _status(doc: dict[str, Any], account: str) -> str:
    return str(next(a for a in doc["accounts"] if a["name"] == account)["status"])


def liqwatch(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*tui_argv(), *args], capture_output=True, text=True, timeout=timeout,
                          cwd=ROOT, env=dict(os.environ))


@pytest.mark.slow(3)
def test_check_demo_json_lists_both_exchanges_and_exits_with_the_worst_status() -> None:
    proc = liqwatch("check", "--demo", "--json", "--timeout", "30")
    assert proc.stdout.count("\n") == 1, proc.stderr  # one JSON object, one line
    doc = json.loads(proc.stdout)
    assert proc.returncode == EXIT[doc["status"]]
    assert doc["status"] in ("ok", "warning", "critical")  # every feed went LIVE
    assert {a["exchange"] for a in doc["accounts"]} == {"binance", "hyperliquid", "bybit", "okx"}
    assert all(f["state"] == "LIVE" for f in doc["feeds"])
    assert {"account", "channel", "state", "age_s"} <= set(doc["feeds"][0])
    positions = [p for a in doc["accounts"] for p in a["positions"]]
    assert len(positions) >= 8
    expected = {"symbol", "side", "size", "entry_price", "mark_price", "liquidation_price",
                "exchange_liquidation_price", "distance_to_liquidation_pct", "distance_sigma", "margin_ratio", "risk",
                "unrealized_pnl", "next_funding", "age_s"}
    assert all(expected <= set(p) for p in positions)
    for a in doc["accounts"]:
        assert {"name", "exchange", "status", "wallet_balance", "margin_balance", "maintenance_margin",
                "margin_ratio", "risk", "positions"} <= set(a)
    assert doc["time"].endswith("Z")


@pytest.mark.slow(5)
def test_check_watch_prints_one_line_per_second(tmp_path: Path) -> None:
    rec = tmp_path / "frames.jsonl.gz"
    proc = liqwatch("check", "--demo", "--json", "--watch", "3", "--record", str(rec))
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    assert 3 <= len(lines) <= 5
    # The exit status is the worst seen once every feed was first LIVE (a start that outlasted --timeout on a
    # loaded machine printed a STALE line first, which does not count), or the worst of all if none was.
    live = [i for i, d in enumerate(lines) if all(f["state"] == "LIVE" for f in d["feeds"])]
    counted = lines[live[0]:] if live else lines
    worst = max(counted, key=lambda d: ["ok", "warning", "stale", "critical"].index(d["status"]))
    assert proc.returncode == EXIT[worst["status"]]
    from liqwatch.feeds.frame_recorder import read_recording

    frames = list(read_recording(rec))
    assert len(frames) > 20 and {"t", "src", "raw"} <= set(frames[0])


def test_check_without_accounts_is_unknown(tmp_path: Path) -> None:
    cfg = tmp_path / "empty.toml"
    cfg.write_text("[ui]\nrefresh_hz = 4\n", encoding="utf-8")
    rc, _, err = run_main("check", "--config", str(cfg))
    assert rc == 3
    assert "no accounts configured" in err


def test_check_with_a_missing_key_reports_the_disabled_account(tmp_path: Path) -> None:
    cfg = tmp_path / "c.toml"
    cfg.write_text(
        '[[accounts]]\nname = "main"\nexchange = "binance"\napi_key_env = "LW_TEST_NOPE_KEY"\n'
        'api_secret_env = "LW_TEST_NOPE_SECRET"\n', encoding="utf-8")
    proc = liqwatch("check", "--config", str(cfg), "--json", "--timeout", "0.5", timeout=30)  # nothing can go LIVE
    assert proc.returncode == 3
    doc = json.loads(proc.stdout)
    assert doc["accounts"][0]["status"] == "stale"
    assert "LW_TEST_NOPE_KEY" in doc["accounts"][0]["disabled"]


@pytest.mark.parametrize("bad", [["--timeout", "0"], ["--watch", "-1"]])
def test_check_usage_errors_exit_3(bad: list[str]) -> None:
    rc, _, err = run_main("check", "--demo", *bad)
    assert rc == 3 and "must be > 0" in err


DEMO_SHOWS = ("emulator on 127.0.0.1:", "binance-main", "hl-whale", "feed binance-main/mark: LIVE", "BTC/USDT:USDT",
              "ETH/USDC:USDC")


@pytest.mark.slow(3)
def test_demo_shows_live_positions_within_seconds() -> None:
    # Read until every one is printed, within 4 s of the banner (as --seconds 4 counts), then stopped (SIGTERM,
    # a clean stop: exit 0); the 60 s of --seconds is only a bound.
    with Watched("demo", "--seconds", "60") as demo:
        assert demo.next_line(60) is not None, demo.stderr  # the banner: the emulator is up
        deadline = time.monotonic() + 4.0
        while not all(text in "".join(demo.lines) for text in DEMO_SHOWS):
            left = deadline - time.monotonic()
            assert left > 0, [text for text in DEMO_SHOWS if text not in "".join(demo.lines)]
            assert demo.next_line(left) is not None, demo.stderr
        assert demo.stop() == 0, demo.stderr


@pytest.mark.slow(8)
def test_the_demos_drifting_account_raises_an_alert_kept_in_the_demo_record_only() -> None:
    # At 10x the demo's ETH slide puts binance-degen past its warning level within ~6 s of wall time; the
    # check is stopped (SIGTERM, a clean stop) once a line says so.
    with Watched("check", "--demo", "--speed", "10", "--json", "--watch", "60") as check:
        docs = check.until(lambda docs: _status(docs[-1], "binance-degen") in ("warning", "critical"), 60,
                           "binance-degen warned")
        assert check.stop() == EXIT_TERMINATED, check.stderr
    assert {"warning", "critical"} & {d["status"] for d in docs}
    rc, out, err = run_main("alerts", "--demo", "--json")
    assert rc == 0, err
    alerts = json.loads(out)
    assert any(a["account"] == "binance-degen" for a in alerts["alerts"]), alerts
    rc, out, err = run_main("alerts", "--json")
    assert rc == 0, err
    assert not any(a["account"] == "binance-degen" for a in json.loads(out)["alerts"])
