"""The forked workers (tests/fork_workers.py) that run the README's ``pytest``, on a small suite of their own:
every outcome comes back to the process that collected, a worker that dies fails only the test it was running
(the rest still run, on a new worker), a group runs on one worker, each worker has its own temporary directory,
and the exit status is pytest's. The suite is run by a real ``pytest`` process in a temporary directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONFTEST = '''
import pytest
from tests.fork_workers import ForkScheduler

@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    return ForkScheduler(session, 3).run()
'''

TESTS = '''
import json, os, pytest

def _note(tmp_path, name):
    with open(os.environ["NOTES"], "a") as f:
        f.write(json.dumps({"test": name, "worker": os.environ.get("PYTEST_XDIST_WORKER"),
                            "pid": os.getpid(), "tmp": str(tmp_path)}) + "\\n")

@pytest.mark.parametrize("n", range(12))
def test_passes(n, tmp_path):
    (tmp_path / "mine").write_text(str(n))
    _note(tmp_path, f"passes{n}")

def test_fails(tmp_path):
    _note(tmp_path, "fails")
    assert 1 + 1 == 3

def test_dies(tmp_path):
    _note(tmp_path, "dies")
    os._exit(7)

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

@pytest.mark.xdist_group("together")
@pytest.mark.parametrize("n", range(4))
def test_grouped(n, tmp_path):
    _note(tmp_path, f"grouped{n}")
'''


def test_outcomes_crashes_groups_and_directories_of_the_forked_workers(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(CONFTEST)
    (tmp_path / "test_small.py").write_text(TESTS)
    notes = tmp_path / "notes.jsonl"
    env = {**os.environ, "NOTES": str(notes), "PYTHONPATH": f"{ROOT}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    env.pop("PYTEST_XDIST_WORKER", None)
    env.pop("PYTEST_XDIST_WORKER_COUNT", None)
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:randomly", "-q", "-rA",
         "--basetemp", str(tmp_path / "base"), "-c", str(tmp_path / "conftest.py"), "--rootdir", str(tmp_path),
         str(tmp_path / "test_small.py")],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    out = done.stdout
    assert done.returncode == 1, out + done.stderr  # tests failed
    assert "2 failed, 16 passed, 1 skipped" in out, out
    assert "FAILED test_small.py::test_fails" in out and "assert (1 + 1) == 3" in out
    assert "FAILED test_small.py::test_dies" in out and "ended with exit status 7 while running this test" in out

    rows = [json.loads(line) for line in notes.read_text().splitlines()]
    ran = sorted(r["test"] for r in rows)
    assert ran == sorted([*(f"passes{n}" for n in range(12)), "fails", "dies", *(f"grouped{n}" for n in range(4))])
    assert len({r["pid"] for r in rows if r["test"].startswith("grouped")}) == 1  # the group on one worker
    assert len({r["pid"] for r in rows}) >= 3  # in parallel; the dead worker's place taken by a new one
    assert os.getpid() not in {r["pid"] for r in rows}
    for r in rows:  # each worker's temporary directories under its own, named after it
        assert Path(r["tmp"]).parent.name == r["worker"], r
