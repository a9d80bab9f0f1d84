"""``liqwatch check`` with a database it cannot open: it says what is wrong, reports the record as
unavailable in ``--json``, exits with the accounts' status (never 1 for an internal error), and leaves the
file exactly as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_check_command import EXIT, liqwatch, private_home  # noqa: F401  (the fixture is autouse)


def _demo_db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "liqwatch" / "demo" / "liqwatch.sqlite3"


# A corrupt record is no fault of a demo run's any more (each run writes a new record of its own,
# liqwatch.storage.demo_records); the Record's handling of one is tested in tests/storage/test_record_failures.
def test_check_reports_a_record_it_cannot_open_and_keeps_its_exit_code_meaningful(tmp_path: Path) -> None:
    db = _demo_db(tmp_path)
    db.parent.parent.mkdir(parents=True)
    db.parent.write_text("a file where the demo directory should be")
    garbage = db.parent.read_bytes()
    culprit = db.parent
    proc = liqwatch("check", "--demo", "--json", "--timeout", "30")
    assert "Traceback" not in proc.stderr, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["record"].startswith("unavailable: ") and str(db) in doc["record"], doc["record"]
    assert proc.returncode == EXIT[doc["status"]]  # the accounts speak, not the broken file
    assert "unavailable" in proc.stderr and str(db) in proc.stderr  # said on stderr too, naming the file
    assert culprit.read_bytes() == garbage  # never overwritten, never deleted


def test_an_internal_error_exits_3_not_1(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    # Whatever fails inside, a monitoring system reads "unknown", never "warning", and no traceback.
    from liqwatch.commands import check
    from tui.cli import main

    async def broken(_args: object) -> int:
        raise RuntimeError("a bug somewhere inside")

    monkeypatch.setattr(check, "_run", broken)
    assert main(["check", "--demo"]) == 3
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: a bug somewhere inside" in err and "Traceback" not in err
