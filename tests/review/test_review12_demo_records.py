"""Review of issue 12, per-run demo records: another run's pruning must never delete a record a running demo
claimed, whatever the interleaving of two runs' claims (several browser tabs start their demos together)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from liqwatch.storage import demo_records
from liqwatch.storage.demo_records import DemoRecordLock, claim_demo_record, prune_demo_records


def test_a_claim_in_progress_survives_other_runs_pruning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory, real = tmp_path / "demo", tmp_path / "liqwatch.sqlite3"
    start = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
    real_flock = demo_records.fcntl.flock
    others: list[DemoRecordLock] = []
    interleaved: list[threading.Thread] = []

    def other_runs() -> None:  # five tabs started a moment later, claiming while ours is between open and flock
        for i in range(1, 6):
            others.append(claim_demo_record(directory, real, start + timedelta(milliseconds=i)))

    def flock(fd: int, operation: int) -> Any:
        if not interleaved:  # ours, the first claim: the other runs get in before its flock
            thread = threading.Thread(target=other_runs)
            interleaved.append(thread)
            thread.start()
            thread.join(timeout=5)
        return real_flock(fd, operation)

    monkeypatch.setattr(demo_records.fcntl, "flock", flock)
    ours = claim_demo_record(directory, real, start)
    try:
        interleaved[0].join(timeout=5)
        assert not interleaved[0].is_alive()
        ours.path.write_bytes(b"")  # the run's database, being written
        assert Path(f"{ours.path}.lock").exists(), "our lock file was deleted by another run's prune"
        monkeypatch.setattr(demo_records.fcntl, "flock", real_flock)
        prune_demo_records(directory, real, keep=1)  # yet another start: ours is still running
        assert ours.path.exists(), "a running demo's record was pruned"
    finally:
        ours.release()
        for other in others:
            other.release()
