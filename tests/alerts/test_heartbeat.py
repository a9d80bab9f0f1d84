"""A monitor that is known to be watching (issue 10): the heartbeat pings a dead-man's-switch URL while snapshots
are evaluated, says "liqwatch stopped" at a clean exit, and an unclean stop (SIGKILL) is reported by the next
start as an alert. Real processes (`python -m tui check --demo --watch`) and aiohttp receivers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr

from liqwatch.alerts.delivery.webhooks import WebhookChannel
from liqwatch.alerts.heartbeat import Heartbeat
from liqwatch.config.alerts import AlertDelivery
from liqwatch.storage.run_marker import RunMarker
from tests.alerts.alert_receiver import Receiver, eventually
from tests.alerts.alert_scenarios import Scenario
from tests.cli.test_check_command import ROOT, private_home  # noqa: F401  (the fixture is autouse)
from tests.tui_command import tui_argv


def _events(rx: Receiver) -> list[str]:
    return [json.loads(r.body)["event"] for r in rx.requests]


async def test_pings_only_while_snapshots_are_evaluated_and_says_stopped(tmp_path: Path) -> None:
    rx = Receiver()
    port = await rx.start()
    marker = RunMarker(tmp_path / "runs")
    hook = WebhookChannel("heartbeat", "generic", SecretStr(f"http://127.0.0.1:{port}/ping"), timeout_s=2)
    beat = Heartbeat(marker, hook, interval_s=0.2, touch_s=0.05)
    try:
        assert beat.start() == []
        assert marker.path.exists()
        sc = Scenario()
        beat.alive(sc.tick(59_000.0), 0)
        await eventually(lambda: _ok(len(rx.requests) == 1))
        body = json.loads(rx.requests[0].body)
        assert (body["event"], body["level"]) == ("heartbeat", "info")
        assert body["message"] == "liqwatch is watching 1 accounts: status ok, 0 alerts active"
        # No snapshot evaluated since: a stalled monitor stops pinging, so the service raises the alarm.
        await asyncio.sleep(0)
        before = marker.path.stat().st_mtime_ns
        await eventually(lambda: _ok(marker.path.stat().st_mtime_ns != before))  # but it is alive
        assert len(rx.requests) == 1
        beat.alive(sc.tick(59_000.0), 0)
        await eventually(lambda: _ok(len(rx.requests) == 2))
        await beat.stop()
        assert _events(rx) == ["heartbeat", "heartbeat", "stopped"]
        assert json.loads(rx.requests[-1].body)["message"].startswith("liqwatch stopped cleanly at ")
        assert not marker.path.exists()  # a clean exit leaves no marker
    finally:
        await rx.stop()


async def _ok(value: bool) -> bool:
    return value


def test_a_marker_left_by_a_dead_process_is_reported_once(tmp_path: Path) -> None:
    directory = tmp_path / "runs"
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    running = RunMarker(directory, pid=os.getppid())  # a live process, seen recently: another liqwatch
    assert running.start(now - timedelta(seconds=5)) == []
    dead = RunMarker(directory, pid=2**22 + 12345)  # above any pid_max default: no such process
    assert dead.start(now - timedelta(minutes=10)) == []
    dead.touch(now - timedelta(minutes=3))
    me = RunMarker(directory)
    found = me.start(now)
    assert [(s.pid, s.seen_at) for s in found] == [(dead.pid, now - timedelta(minutes=3))]
    assert found[0].message() == (f"liqwatch stopped uncleanly at about 2026-05-01 11:57:00 UTC "
                                  f"(last seen alive; pid {dead.pid})")
    # Not yet in the record: a run that ends now puts it back for the next start ...
    me.stop(now)
    again = RunMarker(directory)
    stops = again.start(now)
    assert [s.pid for s in stops] == [dead.pid]
    other = RunMarker(directory, pid=2**22 + 999)
    assert other.start(now) == []  # claimed by a process still running: not reported twice
    other.stop(now)
    again.reported(stops[0])  # its alert landed in the record: the claim goes
    again.stop(now)  # a clean exit
    assert not again.path.exists()
    assert RunMarker(directory).start(now) == []  # recorded: reported once only
    assert running.path.exists()


def test_heartbeat_config_needs_one_target_and_a_known_webhook() -> None:
    from pydantic import ValidationError

    assert not AlertDelivery().heartbeat.enabled
    with pytest.raises(ValidationError, match=r"no \[\[alerts\.delivery\.webhooks\]\] is named ops"):
        AlertDelivery.model_validate({"heartbeat": {"webhook": "ops"}})
    with pytest.raises(ValidationError, match="choose one"):
        AlertDelivery.model_validate({"heartbeat": {"url": "https://hc-ping.com/x", "url_env": "HB_URL"}})
    with pytest.raises(ValidationError):
        AlertDelivery.model_validate({"heartbeat": {"url_env": "HB_URL", "interval_s": 1}})


async def _spawn(*args: str, env: dict[str, str], own_pid: bool = False) -> asyncio.subprocess.Process:
    """``liqwatch ARGS`` as a process: through the worker's pre-imported server (tests/tui_command.py, ~1 s of
    CPU less a start), or with ``own_pid`` as ``python -m tui`` itself, whose pid is the monitor's."""
    argv = [sys.executable, "-m", "tui", *args] if own_pid else tui_argv(*args)
    return await asyncio.create_subprocess_exec(
        *argv, cwd=ROOT, env={**os.environ, **env},
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)


def _config(tmp_path: Path) -> Path:
    cfg = tmp_path / "beat.toml"
    cfg.write_text('[alerts.delivery.heartbeat]\nurl_env = "LW_TEST_BEAT_URL"\ninterval_s = 5\n', encoding="utf-8")
    return cfg


@pytest.mark.slow(5)
async def test_check_watch_pings_and_says_stopped_at_a_clean_exit(tmp_path: Path) -> None:
    rx = Receiver()
    port = await rx.start()
    env = {"LW_TEST_BEAT_URL": f"http://127.0.0.1:{port}/ping/abc"}
    try:
        proc = await _spawn("check", "--demo", "--json", "--watch", "3", "--config", str(_config(tmp_path)), env=env)
        async with asyncio.timeout(120):
            _, err = await proc.communicate()
        assert proc.returncode in (0, 1, 2), err.decode()
        assert _events(rx)[0] == "heartbeat" and _events(rx)[-1] == "stopped", (_events(rx), err.decode())
        assert all(r.path == "/ping/abc" for r in rx.requests)
        runs = tmp_path / "data" / "liqwatch" / "demo" / "liqwatch.sqlite3.runs"
        assert runs.is_dir() and list(runs.iterdir()) == []
    finally:
        await rx.stop()


@pytest.mark.slow(4)
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
async def test_an_unclean_stop_is_reported_by_the_next_start(tmp_path: Path) -> None:
    # Its own pid: the alert names the pid of the process that was killed.
    first = await _spawn("check", "--demo", "--json", "--watch", "90", env={}, own_pid=True)
    try:
        async with asyncio.timeout(60):
            assert first.stdout is not None
            line = await first.stdout.readline()
        assert line.startswith(b"{"), line
        os.kill(first.pid, signal.SIGKILL)
        async with asyncio.timeout(10):
            assert await first.wait() == -signal.SIGKILL
    finally:
        with contextlib.suppress(ProcessLookupError):
            first.kill()
    second = await _spawn("check", "--demo", "--json", env={})
    async with asyncio.timeout(120):
        _, err = await second.communicate()
    assert second.returncode in (0, 1, 2), err.decode()
    listing = await _spawn("alerts", "--demo", "--json", env={})
    async with asyncio.timeout(60):
        out, err = await listing.communicate()
    alerts = json.loads(out)["alerts"]
    unclean = [a for a in alerts if "stopped uncleanly" in a["message"]]
    assert len(unclean) == 1, (alerts, err.decode())
    assert f"pid {first.pid}" in unclean[0]["message"] and unclean[0]["level"] == "warning"


async def test_a_one_shot_run_that_records_an_unclean_stop_releases_its_marker(tmp_path: Path) -> None:
    """The claim goes once the alert is in the record, even for a run that evaluates once and exits at once
    (`liqwatch check`): the next start does not report the same stop again."""
    from liqwatch.alert_runtime import AlertRuntime
    from liqwatch.config.settings import Settings
    from liqwatch.storage.run_marker import marker_dir

    db_path = tmp_path / "liqwatch.sqlite3"
    dead = RunMarker(marker_dir(db_path), pid=2**22 + 12345)  # above any pid_max default: no such process
    dead.start(datetime.now(UTC) - timedelta(minutes=10))
    for _ in range(2):
        async with AlertRuntime(Settings(), db_path=db_path) as alerting:
            await alerting.on_snapshot(Scenario().tick(59_000.0))
            stops = [a for a in alerting.service.alerts() if "stopped uncleanly" in a.message]
        assert list(marker_dir(db_path).iterdir()) == []
        assert len(stops) == 1  # the first run raised it; the second restored it, and found no marker
