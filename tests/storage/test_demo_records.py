"""Each demo run writes a record of its own in the demo directory, named by its start time, unique even for runs
started at the same instant or side by side; the oldest beyond KEEP are pruned unless a running demo holds
them; ``--demo`` readers read the newest; the real record is never touched. In-process: AlertRuntime is what
``demo``, ``check --demo`` and the App's demo open."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from liqwatch.alert_runtime import AlertRuntime
from liqwatch.clock import FakeClock
from liqwatch.config import load_settings
from liqwatch.config.settings import Settings
from liqwatch.storage.demo_records import KEEP
from liqwatch.storage.paths import database_path
from tests.alerts.alert_scenarios import Scenario
from tui.cli import main


def _config(tmp_path: Path) -> tuple[Path, Settings]:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "data" / "liqwatch.sqlite3"}"\n', encoding="utf-8")
    return config, load_settings(config, environ={})


def _records(tmp_path: Path) -> list[Path]:
    return sorted((tmp_path / "data" / "demo").glob("liqwatch-*.sqlite3"))


async def _run(settings: Settings, sc: Scenario, risk: float) -> tuple[Path, str]:
    """One demo run raising one alert; returns its record and the alert's id."""
    async with AlertRuntime(settings, demo=True, clock=sc.clock, environ={}) as rt:
        events = await rt.on_snapshot(sc.tick(risk=risk))
        assert events
        return rt.path, events[0].alert_id


async def test_each_demo_run_has_a_record_of_its_own_even_in_the_same_instant(tmp_path: Path) -> None:
    _, settings = _config(tmp_path)
    sc = Scenario()
    first = AlertRuntime(settings, demo=True, clock=sc.clock, environ={})
    second = AlertRuntime(settings, demo=True, clock=sc.clock, environ={})  # the same clock reading: same µs
    async with first, second:  # two terminals at once
        assert first.path != second.path
        assert first.path.parent == second.path.parent == tmp_path / "data" / "demo"
        await first.on_snapshot(sc.tick(risk=0.85, advance=0))
        await second.on_snapshot(sc.tick(risk=0.85, advance=0))
        assert first.service.alerts() and second.service.alerts()
    stamp = sc.clock.now().strftime("%Y%m%dT%H%M%S")
    assert {p.name for p in _records(tmp_path)} == {f"liqwatch-{stamp}.{sc.clock.now():%f}Z.sqlite3",
                                                    f"liqwatch-{stamp}.{sc.clock.now():%f}Z-1.sqlite3"}
    sc.clock.advance(60)
    third, _ = await _run(settings, sc, 0.65)
    assert len(_records(tmp_path)) == 3 and database_path(settings, demo=True) == third


async def test_old_records_are_pruned_but_never_one_a_running_demo_writes(tmp_path: Path) -> None:
    _, settings = _config(tmp_path)
    sc = Scenario()
    still_running = AlertRuntime(settings, demo=True, clock=sc.clock, environ={})
    async with still_running:  # the oldest record, held open while newer runs come and go
        runs = []
        for _ in range(KEEP + 2):
            sc.clock.advance(1)
            runs.append((await _run(settings, sc, 0.85))[0])
        kept = _records(tmp_path)
        assert still_running.path in kept and still_running.path.with_name(still_running.path.name + "-wal").exists()
        assert kept == sorted([still_running.path, *runs[-KEEP:]])  # the running one, and the newest KEEP
        assert not any(p.exists() for p in runs[:-KEEP])
        assert not any(Path(f"{p}.lock").exists() or Path(f"{p}-wal").exists()  # noqa: ASYNC240
                       for p in runs[:-KEEP])
    sc.clock.advance(1)
    newest, _ = await _run(settings, sc, 0.85)
    assert _records(tmp_path) == [*runs[-(KEEP - 1):], newest]  # no longer running: pruned with the others


async def test_demo_readers_read_the_newest_record_and_the_real_one_is_untouched(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config, settings = _config(tmp_path)
    real = tmp_path / "data" / "liqwatch.sqlite3"
    sc = Scenario(clock=FakeClock(datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)))
    async with AlertRuntime(settings, clock=sc.clock, environ={}) as rt:  # a real run first
        await rt.on_snapshot(sc.tick(risk=0.85))
    real_bytes = real.read_bytes()
    real_mtime = real.stat().st_mtime_ns

    await _run(settings, sc, 0.85)
    sc.clock.advance(120)
    started = sc.clock.now().replace(second=0)  # samples are kept per minute: the minute the newest run began
    newest, new_alert = await _run(settings, sc, 0.85)
    assert database_path(settings, demo=True) == newest

    assert main(["alerts", "--config", str(config), "--demo", "--json", "--since", "7d"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["database"] == str(newest)
    raised = [datetime.fromisoformat(a["raised_at"].replace("Z", "+00:00")) for a in doc["alerts"]]
    assert raised and min(raised) >= started  # the earlier run's alerts are in its own record only
    assert main(["history", "main", "--config", str(config), "--demo", "--json", "--since", "7d"]) == 0
    hist = json.loads(capsys.readouterr().out)
    assert hist["database"] == str(newest)
    sampled = [datetime.fromisoformat(x["time"].replace("Z", "+00:00")) for x in hist["samples"]]
    assert sampled and min(sampled) >= started  # the earlier run's wallet is not in this run's history
    assert main(["alerts", "ack", new_alert, "--config", str(config), "--demo", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["acknowledged"] is True

    assert real.read_bytes() == real_bytes and real.stat().st_mtime_ns == real_mtime
    assert database_path(settings) == real


def test_without_a_demo_run_the_readers_look_in_the_demo_directory(tmp_path: Path) -> None:
    _, settings = _config(tmp_path)
    assert database_path(settings, demo=True) == tmp_path / "data" / "demo" / "liqwatch.sqlite3"
    assert not (tmp_path / "data").exists()  # looking creates nothing
